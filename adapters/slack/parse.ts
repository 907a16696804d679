import type { CommandRequest, CommandSpec } from '../../src/bot/types.js';
import { InputError } from '../../src/util/errors.js';
import {
  isResultReference,
  pictureAndWords,
  splitCommandText,
  takesImage,
  withText,
} from '../shared/command-text.js';

type Options = CommandRequest['options'];

/**
 * A slash command's text to the command's options (see splitCommandText: `snowy mountain count:10`). For a
 * command taking an image the first word is a link (`url`) or a result (`#2`, or an image id), and the words
 * after it adjust the picture (`text`: `/similar #2 at night -people`).
 */
export function parseCommandText(spec: CommandSpec, text: string): Options {
  const { options, rest } = splitCommandText(spec, text, unwrapLink);
  if (rest === '' || !takesImage(spec)) return withText(spec, options, rest);
  const { picture, words } = pictureAndWords(rest);
  return { ...(words !== undefined && { text: words }), ...options, ...imageArgument(picture) };
}

/** What `similar <argument>` points at: a link, or a result by rank (`#2`) or image id. */
function imageArgument(argument: string): Options {
  if (/^https?:\/\//i.test(argument)) return { url: argument };
  if (isResultReference(argument)) return { result: argument };
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
