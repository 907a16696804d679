/** The words a search looks for in the text read from images, and whether the picture itself counts. */
export interface FindText {
  words: string;
  /** The words must stand together in this order. */
  phrase: boolean;
  /** Only images whose text matches: the asker quoted the words or wrote `text:"..."`. */
  only: boolean;
}

/**
 * What a `/find` text asks of the image text: a quoted phrase or `text:"..."` asks for those words
 * themselves; anything else is matched as words and fused with the CLIP ranking. A small stand-in until the
 * search language (issue #12) parses queries: it would call the search with the FindText it builds.
 */
export function findTextOf(input: string): FindText {
  const quoted = /(?:^|\s)(?:text:)?["“]([^"”]+)["”]/u.exec(input);
  if (quoted?.[1]?.trim()) return { words: quoted[1].trim(), phrase: true, only: true };
  const unquoted = /(?:^|\s)text:(\S+)/u.exec(input);
  if (unquoted?.[1]) return { words: unquoted[1], phrase: false, only: true };
  return { words: input.trim(), phrase: false, only: false };
}

/** The part of the text CLIP should see: `text:` prefixes are instructions, not description. */
export const clipTextOf = (input: string) => input.replace(/(^|\s)text:/gu, '$1').trim();
