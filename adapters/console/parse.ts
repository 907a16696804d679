import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandRequest, CommandSpec, ImageRef } from '../../src/bot/types.js';
import { InputError } from '../../src/util/errors.js';

export type ParsedLine = Pick<CommandRequest, 'command' | 'options' | 'image'>;

/**
 * One console line to a request. `/find snowy mountain --count 3`: the words go to the command's first text
 * option, `--name value` sets an option, and a bare boolean option name (`/reindex full`) switches it on.
 * For a command taking an image, the words are a file path (read here), a link (`url`), or a result (`#2`
 * or an image id, `result`). Undefined for a blank line.
 */
export async function parseLine(
  line: string,
  specs: readonly CommandSpec[],
): Promise<ParsedLine | undefined> {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  if (!trimmed.startsWith('/')) {
    throw new InputError(
      trimmed.slice(0, 40),
      'commands start with a slash, e.g. /find snowy mountain; /help lists them',
    );
  }
  const [name = '', ...words] = trimmed.slice(1).split(/\s+/);
  const spec = specs.find((s) => s.name === name.toLowerCase());
  if (!spec) return { command: name.toLowerCase(), options: {} };

  const options: CommandRequest['options'] = {};
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const option = word.startsWith('--') ? spec.options.find((o) => o.name === word.slice(2)) : undefined;
    const bareFlag = spec.options.find((o) => o.type === 'boolean' && o.name === word);
    if (word.startsWith('--')) {
      const key = word.slice(2);
      const next = words[i + 1];
      const takesValue = option?.type !== 'boolean' && next !== undefined && !next.startsWith('--');
      options[key] = takesValue ? (words[++i] as string) : true;
    } else if (bareFlag) {
      options[bareFlag.name] = true;
    } else {
      positional.push(word);
    }
  }
  const rest = positional.join(' ');
  if (rest === '') return { command: spec.name, options };
  if (spec.options.some((o) => o.type === 'image')) {
    const argument = await imageArgument(rest);
    return { command: spec.name, options: { ...options, ...argument.options }, image: argument.image };
  }
  const textOption = spec.options.find((o) => o.type === 'string');
  if (!textOption) throw new InputError(`/${spec.name}`, `takes no text, got "${rest}"`);
  options[textOption.name] ??= rest;
  return { command: spec.name, options };
}

/** What `/similar <argument>` points at. */
async function imageArgument(argument: string): Promise<Pick<ParsedLine, 'options' | 'image'>> {
  if (/^https?:\/\//i.test(argument)) return { options: { url: argument } };
  if (/^#?\d{1,3}$/.test(argument) || /^[0-9a-f]{32}$/.test(argument))
    return { options: { result: argument } };
  const file = path.resolve(argument);
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(
      argument,
      error.code === 'ENOENT' ? 'no such file' : `cannot read it (${error.code})`,
    );
  });
  const image: ImageRef = { name: path.basename(file), bytes };
  return { options: {}, image };
}
