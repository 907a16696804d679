/**
 * Words as text search sees them: Unicode-normalised (NFKC, so full-width forms match), lower case, split at
 * everything that is neither a letter nor a digit. Chinese and Japanese runs stay whole: they have no spaces.
 */
export function wordsOf(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** Text without spaces or punctuation, for matching scripts that do not separate their words. */
export const compact = (text: string) => wordsOf(text).join('');
