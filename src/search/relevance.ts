/**
 * How many of the ranked scores to keep. A fixed threshold fails (scores of a good match differ by query and
 * model: immich issue 5996), so the cut is relative to this answer: the best score and the background
 * similarity of the candidates (their median) span the range, and a hit must stay within `keepFraction` of
 * that range below the best one. An answer whose candidates are all alike (a small spread) keeps them all.
 */
export function relevanceCut(scores: readonly number[], keepFraction = 0.6, minSpread = 0.02): number {
  if (scores.length <= 1) return scores.length;
  const best = scores[0]!;
  const sorted = [...scores].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const spread = best - median;
  if (spread < minSpread) return scores.length;
  const floor = best - keepFraction * spread;
  const kept = scores.findIndex((s) => s < floor);
  return kept < 0 ? scores.length : Math.max(1, kept);
}
