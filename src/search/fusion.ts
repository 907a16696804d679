import type { Hit } from '../store/types.js';

/** One ranking to fuse, and how much its ranks count. */
export interface RankedList {
  hits: Hit[];
  weight: number;
}

/**
 * Weighted reciprocal rank fusion (Cormack et al. 2009): each list adds weight / (k + rank) for every image it
 * ranks, and images are ordered by the sum. Computed here rather than by Elasticsearch's `rrf` retriever,
 * which needs a paid licence tier and does not exist for the embedded store. k = 60 is the paper's constant.
 */
export function fuseRanks(lists: RankedList[], k = 60): Hit[] {
  const fused = new Map<string, { hit: Hit; score: number; first: number }>();
  let seen = 0;
  for (const { hits, weight } of lists) {
    hits.forEach((hit, rank) => {
      const entry = fused.get(hit.image_id);
      const contribution = weight / (k + rank + 1);
      if (entry) {
        entry.score += contribution;
        // The text list knows the matched words; the vector list the cosine score.
        entry.hit = { ...hit, ...entry.hit, ...(hit.matched && { matched: hit.matched }) };
      } else fused.set(hit.image_id, { hit, score: contribution, first: seen++ });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score || a.first - b.first).map((e) => e.hit);
}
