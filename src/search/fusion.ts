import type { Hit } from '../store/types.js';

/** One ranking to fuse, and how much its ranks count. */
export interface RankedList {
  hits: Hit[];
  weight: number;
  /**
   * How good each hit is relative to this list's best, 0..1 (default 1): scales its weight, so that in a list
   * whose order comes from a few coarse grades (text matches: all words together, or only most of them), the
   * other list's ranks reorder hits within a grade more easily than across grades.
   */
  quality?: (hit: Hit) => number;
}

/**
 * Weighted reciprocal rank fusion (Cormack et al. 2009): each list adds weight / (k + rank) for every image it
 * ranks, and images are ordered by the sum. Computed here rather than by Elasticsearch's `rrf` retriever,
 * which needs a paid licence tier and does not exist for the embedded store. k = 60 is the paper's constant.
 */
export function fuseRanks(lists: RankedList[], k = 60): Hit[] {
  const fused = new Map<string, { hit: Hit; score: number; first: number }>();
  let seen = 0;
  for (const { hits, weight, quality } of lists) {
    hits.forEach((hit, rank) => {
      const entry = fused.get(hit.image_id);
      const contribution = (weight * (quality?.(hit) ?? 1)) / (k + rank + 1);
      if (entry) {
        entry.score += contribution;
        // The text list knows the matched words; the vector list the cosine score.
        entry.hit = { ...hit, ...entry.hit, ...(hit.matched && { matched: hit.matched }) };
      } else fused.set(hit.image_id, { hit, score: contribution, first: seen++ });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score || a.first - b.first).map((e) => e.hit);
}
