import { compact, wordsOf } from '../../src/ocr/words.js';
import type { CorpusImage } from './render.js';

export interface Recall {
  total: number;
  /** Written words found as recognised words (each recognised word matches once). */
  exact: number;
  /**
   * Written words found in the recognised text with spaces and punctuation removed: what text search finds,
   * since it matches letter sequences (OCR often runs words together: "503ServiceUnavailable").
   */
  searchable: number;
}

/**
 * How many of an image's written words OCR found. Chinese words (written without spaces) count when the
 * recognised text contains them, in both measures.
 */
export function wordRecall(truth: Pick<CorpusImage, 'lines' | 'words'>, recognised: string): Recall {
  const text = compact(recognised);
  if (truth.words.length > 0) {
    const found = truth.words.filter((w) => text.includes(w)).length;
    return { total: truth.words.length, exact: found, searchable: found };
  }
  const available = new Map<string, number>();
  for (const word of wordsOf(recognised)) available.set(word, (available.get(word) ?? 0) + 1);
  const wanted = truth.lines.flatMap(wordsOf);
  let exact = 0;
  for (const word of wanted) {
    const left = available.get(word) ?? 0;
    if (left > 0) {
      exact++;
      available.set(word, left - 1);
    }
  }
  return { total: wanted.length, exact, searchable: wanted.filter((w) => text.includes(w)).length };
}
