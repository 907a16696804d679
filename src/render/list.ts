import type { ReplyHit } from './reply.js';
import type { Hit } from '../store/types.js';

/** Where a person can open the image: its chat permalink, its URL, or its path inside the indexed folder. */
export function hitLocation(hit: Hit): string {
  return hit.permalink ?? hit.url ?? hit.relative_path ?? hit.image_name;
}

export const formatScore = (score: number): string => score.toFixed(3);

/** One line per hit: `#1  0.873  beach.jpg  holidays/2023/beach.jpg`. */
export function formatHitLines(hits: readonly ReplyHit[]): string[] {
  return hits.map((h) => {
    const location = h.location === h.hit.image_name ? '' : `  ${h.location}`;
    return `#${h.rank}  ${formatScore(h.score)}  ${h.hit.image_name}${location}`;
  });
}
