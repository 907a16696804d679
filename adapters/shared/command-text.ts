import type { CommandRequest, CommandSpec } from '../../src/bot/types.js';
import { InputError } from '../../src/util/errors.js';

type Options = CommandRequest['options'];

/**
 * A command's typed text (a console line, a Slack slash command) split into options and the rest:
 * `--name value`, `--name=value` and `name:value` set an option (`name:value` only for the command's own
 * option names, so "time 10:30" stays text), and a bare boolean option name (`full`) switches it on. Every
 * other word stays in the rest, numbers too: "iphone 15" is a query, and the count is said `count:10` or
 * `--count 10`. The bot validates the values; this only sorts words.
 */
export function splitCommandText(
  spec: CommandSpec,
  text: string,
  word: (token: string) => string = (token) => token,
): { options: Options; rest: string } {
  const options: Options = {};
  const words: string[] = [];
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  const settable = (name: string) =>
    spec.options.find(
      (o) => o.name === name.toLowerCase() && o.type !== 'image' && !isMainText(spec, o.name),
    );
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const flag = /^--([\w-]+)(?:=(.*))?$/.exec(token);
    if (flag) {
      const [, name = '', inline] = flag;
      const option = spec.options.find((o) => o.name === name);
      const next = tokens[i + 1];
      if (inline !== undefined) options[name] = inline;
      else if (option?.type !== 'boolean' && next !== undefined && !next.startsWith('--'))
        options[name] = tokens[++i];
      else options[name] = true;
      continue;
    }
    const pair = /^([a-z][\w-]*):(.+)$/i.exec(token);
    const named = pair && settable(pair[1]!);
    if (named) {
      options[named.name] = pair[2];
      continue;
    }
    const bare = spec.options.find((o) => o.type === 'boolean' && o.name === token.toLowerCase());
    if (bare) options[bare.name] = true;
    else words.push(word(token));
  }
  return { options, rest: words.join(' ') };
}

/** The option a command's free text fills: its required text option, else its first one. */
export function mainTextOption(spec: CommandSpec): string | undefined {
  const text =
    spec.options.find((o) => o.type === 'string' && o.required) ??
    spec.options.find((o) => o.type === 'string');
  return text?.name;
}

const isMainText = (spec: CommandSpec, name: string) => mainTextOption(spec) === name;

export const takesImage = (spec: CommandSpec): boolean => spec.options.some((o) => o.type === 'image');

/** The free text into the command's text option (unless given by name); refused for a command without one. */
export function withText(spec: CommandSpec, options: Options, rest: string): Options {
  if (rest === '') return options;
  const name = mainTextOption(spec);
  if (!name) throw new InputError(`/${spec.name}`, `takes no text, got "${rest}"`);
  return { [name]: rest, ...options };
}

/** A result by rank (`#2`, `2`) or by image id. */
export const isResultReference = (argument: string): boolean =>
  /^#?\d{1,3}$/.test(argument) || /^[A-Za-z0-9_-]{8,64}$/.test(argument);

/** `similar <picture> [words…]`: the first word points at the picture, the words after it adjust it. */
export function pictureAndWords(rest: string): { picture: string; words?: string } {
  const [picture = '', ...words] = rest.split(/\s+/);
  return { picture, ...(words.length > 0 && { words: words.join(' ') }) };
}
