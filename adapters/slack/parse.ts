import type { CommandRequest, CommandSpec } from '../../src/bot/types.js';
import { InputError } from '../../src/util/errors.js';

type Options = CommandRequest['options'];

/**
 * A slash command's text to the command's options. `snowy mountain 10` and `snowy mountain --count 10` both
 * give text "snowy mountain" and count 10: `--name value` (or `--name=value`) sets an option, a bare boolean
 * option name (`full`) switches it on, a trailing whole number within an integer option's range fills it,
 * and the other words are the command's text. For a command taking an image the words are a link (`url`) or
 * a result (`#2`, or an image id). The bot validates the values; this only sorts words into options.
 */
export function parseCommandText(spec: CommandSpec, text: string): Options {
  const options: Options = {};
  const words: string[] = [];
  const tokens = text.trim().split(/\s+/).filter(Boolean);
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
    const bare = spec.options.find((o) => o.type === 'boolean' && o.name === token.toLowerCase());
    if (bare) options[bare.name] = true;
    else words.push(unwrapLink(token));
  }
  takeTrailingNumber(spec, words, options);
  if (words.length === 0) return options;
  if (spec.options.some((o) => o.type === 'image')) return { ...options, ...imageArgument(words.join(' ')) };
  const textOption =
    spec.options.find((o) => o.type === 'string' && o.required) ??
    spec.options.find((o) => o.type === 'string');
  if (!textOption) throw new InputError(`/${spec.name}`, `takes no text, got "${words.join(' ')}"`);
  options[textOption.name] ??= words.join(' ');
  return options;
}

/** `snowy mountain 10`: the last word fills the first unset integer option when it is in that option's range. */
function takeTrailingNumber(spec: CommandSpec, words: string[], options: Options): void {
  const last = words.at(-1);
  const option = spec.options.find((o) => o.type === 'integer' && options[o.name] === undefined);
  if (!option || last === undefined || !/^\d{1,6}$/.test(last)) return;
  const value = Number(last);
  const inRange =
    (option.min === undefined || value >= option.min) && (option.max === undefined || value <= option.max);
  // A lone number is the text (`/find 1984`) unless the command takes no text.
  const takesText = spec.options.some((o) => o.type === 'string' && o.required);
  if (!inRange || (words.length === 1 && takesText)) return;
  options[option.name] = value;
  words.pop();
}

/** What `similar <argument>` points at: a link, or a result by rank (`#2`) or image id. */
function imageArgument(argument: string): Options {
  if (/^https?:\/\//i.test(argument)) return { url: argument };
  if (/^#?\d{1,3}$/.test(argument) || /^[A-Za-z0-9_-]{8,64}$/.test(argument)) return { result: argument };
  throw new InputError(
    argument.slice(0, 60),
    'give a result (#2), an image id or a link; or use the message shortcut on a picture',
  );
}

/** Slack sends links as `<https://example.com/a.jpg>` or `<https://...|label>`; keep the address. */
function unwrapLink(word: string): string {
  const link = /^<(https?:\/\/[^|>]+)(?:\|[^>]*)?>$/.exec(word);
  return link ? (link[1] as string) : word;
}
