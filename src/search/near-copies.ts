import { dot } from './combine.js';

/** A ranked hit with its stored vector. */
export interface Candidate<T> {
  item: T;
  vector: Float32Array;
}

export interface Folded<T> {
  item: T;
  /** Near-copies of it further down the ranking, best first. */
  nearCopies: T[];
}

/**
 * Folds near-copies into the best-ranked hit they resemble: a candidate whose cosine to an already kept hit
 * is at least `threshold` goes under that hit instead of taking a rank of its own. Compares the candidates
 * only (no store round trip); byte-identical files are already one document at index time.
 */
export function foldNearCopies<T>(ranked: readonly Candidate<T>[], threshold: number): Folded<T>[] {
  const kept: (Folded<T> & { vector: Float32Array })[] = [];
  for (const candidate of ranked) {
    const home = kept.find((k) => dot(k.vector, candidate.vector) >= threshold);
    if (home) home.nearCopies.push(candidate.item);
    else kept.push({ item: candidate.item, nearCopies: [], vector: candidate.vector });
  }
  return kept.map(({ item, nearCopies }) => ({ item, nearCopies }));
}
