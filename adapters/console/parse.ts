import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandRequest, CommandSpec, ImageRef } from '../../src/bot/types.js';
import { InputError } from '../../src/util/errors.js';
import {
  isResultReference,
  pictureAndWords,
  splitCommandText,
  takesImage,
  withText,
} from '../shared/command-text.js';

export type ParsedLine = Pick<CommandRequest, 'command' | 'options' | 'image'>;

/**
 * One console line to a request. `/find snowy mountain --count 3` (or `count:3`): the words go to the
 * command's text option, as in Slack (see splitCommandText). For a command taking an image, the words are a
 * file path (read here), a link (`url`), or a result (`#2` or an image id, `result`), and words after a
 * link, result or a path without spaces adjust the picture (`text`). Undefined for a blank line.
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

  const { options, rest } = splitCommandText(spec, words.join(' '));
  if (rest === '' || !takesImage(spec)) return { command: spec.name, options: withText(spec, options, rest) };
  // A path with spaces is the whole rest; otherwise the first word is the picture and the others adjust it.
  const { picture, words: adjust } = (await isFile(rest))
    ? { picture: rest, words: undefined }
    : pictureAndWords(rest);
  const argument = await imageArgument(picture);
  return {
    command: spec.name,
    options: { ...(adjust !== undefined && { text: adjust }), ...options, ...argument.options },
    image: argument.image,
  };
}

/** What `/similar <argument>` points at. */
async function imageArgument(argument: string): Promise<Pick<ParsedLine, 'options' | 'image'>> {
  if (/^https?:\/\//i.test(argument)) return { options: { url: argument } };
  if (isResultReference(argument) && !(await isFile(argument))) return { options: { result: argument } };
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

/** `/similar photo1` names a file when one is there; otherwise it is an image id. */
const isFile = (argument: string): Promise<boolean> =>
  stat(argument).then(
    (s) => s.isFile(),
    () => false,
  );
