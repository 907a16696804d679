import type { Hit } from '../store/types.js';

/**
 * Reciprocal rank fusion (Cormack et al. 2009): each list adds 1 / (k + rank) for every image it ranks, and
 * images are ordered by the sum. Computed here rather than by Elasticsearch's `rrf` retriever, which needs a
 * paid licence tier and does not exist for the embedded store. k = 60 is the paper's constant: a lone top
 * result of one list ties the 20th result of both.
 */
export function fuseRanks(lists: Hit[][], k = 60): Hit[] {
  const fused = new Map<string, { hit: Hit; score: number; first: number }>();
  let seen = 0;
  for (const list of lists) {
    list.forEach((hit, rank) => {
      const entry = fused.get(hit.image_id);
      const contribution = 1 / (k + rank + 1);
      if (entry) {
        entry.score += contribution;
        // The text list knows the matched words; the vector list the cosine score.
        entry.hit = { ...hit, ...entry.hit, ...(hit.matched && { matched: hit.matched }) };
      } else fused.set(hit.image_id, { hit, score: contribution, first: seen++ });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score || a.first - b.first).map((e) => e.hit);
}
