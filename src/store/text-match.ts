import { compact, wordsOf } from '../ocr/words.js';

/** How the words of a text query met one image's text. */
export interface TextMatch {
  /** Share of the query words found (0..1), plus 1 when they stand together in that order. */
  score: number;
  /** The image's words that matched, as they were read. */
  matched: string[];
}

/** A query word counts as found in a word read this close to it: OCR misreads a letter now and then. */
const minSimilarity = 0.75;
/**
 * At least this share of the query (counted in letters, so "a" and "on" weigh little) must be found:
 * "snowy mountain" is not text about mountains.
 */
const minCoverage = 0.7;
/** Shorter words count only as words of their own: "on" is inside too many others. */
const minInsideLength = 4;

/**
 * Whether a text query matches the text read from an image, and how well. Words match inside run-together
 * text ("service" in "503ServiceUnavailable": OCR often loses spaces) and with a misread letter or two
 * ("gateway" for "gatevvay"); a phrase must appear whole, in order. Scripts without spaces (Chinese) match
 * as character sequences. Undefined when it does not match.
 */
export function matchText(query: { words: string; phrase: boolean }, text: string): TextMatch | undefined {
  const wanted = wordsOf(query.words);
  if (wanted.length === 0 || text === '') return undefined;
  const read = readWords(text);
  const joined = compact(text);
  const together = joined.includes(wanted.join(''));
  if (query.phrase) {
    return together
      ? { score: 2, matched: read.filter((w) => wanted.some((q) => overlaps(w.key, q))).map((w) => w.word) }
      : undefined;
  }
  const matched = new Set<string>();
  let found = 0;
  let total = 0;
  for (const word of wanted) {
    const weight = [...word].length;
    total += weight;
    const inside =
      weight >= minInsideLength ||
      !/^[\p{Script=Latin}\p{N}]+$/u.test(word) ||
      (together && wanted.length > 1);
    if (inside ? joined.includes(word) : read.some((w) => w.key === word)) {
      found += weight;
      for (const w of read) if (overlaps(w.key, word)) matched.add(w.word);
      continue;
    }
    let best: { similarity: number; word: string } | undefined;
    for (const w of read) {
      const similarity = similar(word, w.key);
      if (similarity >= minSimilarity && similarity > (best?.similarity ?? 0))
        best = { similarity, word: w.word };
    }
    if (best) {
      found += best.similarity * weight;
      matched.add(best.word);
    }
  }
  const coverage = found / total;
  if (coverage < minCoverage) return undefined;
  return { score: coverage + (together && wanted.length > 1 ? 1 : 0), matched: [...matched] };
}

/** The words as read (for display) with their search form. */
function readWords(text: string): { word: string; key: string }[] {
  return (text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).map((word) => ({
    word,
    key: word.toLowerCase(),
  }));
}

/** A read word shows a query word when either holds the other (run-together text, or a word's part). */
const overlaps = (read: string, query: string) =>
  read.includes(query) || (read.length >= 3 && query.includes(read));

/** 1 - edit distance / longer length; only for words long enough that one wrong letter leaves them recognisable. */
function similar(a: string, b: string): number {
  if (a.length < 4 || b.length < 4 || Math.abs(a.length - b.length) > 2) return 0;
  return 1 - editDistance(a, b) / Math.max(a.length, b.length);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * Ranks candidate images by how their text matches: best score first, then the order the store found them
 * in (its own relevance), keeping the first `k`.
 */
export function rankTextMatches<T extends { text?: string }>(
  query: { words: string; phrase: boolean },
  candidates: T[],
  k: number,
): (T & TextMatch)[] {
  return candidates
    .flatMap((candidate, order) => {
      const match = matchText(query, candidate.text ?? '');
      return match ? [{ candidate, match, order }] : [];
    })
    .sort((a, b) => b.match.score - a.match.score || a.order - b.order)
    .slice(0, k)
    .map(({ candidate, match }) => ({ ...candidate, ...match }));
}

/** The substrings a store looks candidates up by: the query words, three letters and longer. */
export const lookupWords = (words: string) => [...new Set(wordsOf(words).filter((w) => w.length >= 3))];
