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
 *
 * `keep` stops after that many kept hits: the first ones and their copies are exactly what folding the whole
 * ranking gives (a copy goes under the best-ranked hit it resembles, and later hits rank below every kept one),
 * at a cost of `keep` comparisons per candidate instead of one per kept hit (100 unrelated candidates cost
 * about 10 ms of the main thread in full, bench/bot-load.md).
 */
export function foldNearCopies<T>(
  ranked: readonly Candidate<T>[],
  threshold: number,
  keep = Infinity,
): Folded<T>[] {
  const kept: (Folded<T> & { vector: Float32Array })[] = [];
  for (const candidate of ranked) {
    const home = kept.find((k) => closeEnough(k.vector, candidate.vector, threshold));
    if (home) home.nearCopies.push(candidate.item);
    else if (kept.length < keep)
      kept.push({ item: candidate.item, nearCopies: [], vector: candidate.vector });
  }
  return kept.map(({ item, nearCopies }) => ({ item, nearCopies }));
}

/**
 * Whether two unit vectors (embeddings are L2-normalised) have a cosine of at least `threshold`: their squared
 * distance is then at most 2 - 2 * threshold. Summed until it passes that, so unrelated vectors, the usual
 * case, are told apart after a few dozen of their dimensions instead of all of them.
 */
function closeEnough(a: Float32Array, b: Float32Array, threshold: number): boolean {
  const limit = 2 - 2 * threshold;
  let distance = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    distance += d * d;
    if (distance > limit) return false;
  }
  return true;
}
