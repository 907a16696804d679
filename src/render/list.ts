import type { ReplyHit } from './reply.js';
import type { Hit } from '../store/types.js';

/** Where a person can open the image: its chat permalink, its URL, or its path inside the indexed folder. */
export function hitLocation(hit: Hit): string {
  return hit.permalink ?? hit.url ?? hit.relative_path ?? hit.image_name;
}

export const formatScore = (score: number): string => score.toFixed(3);

/** The words of the image that matched a text query, quoted after two spaces; '' when none did. */
export const matchedWords = (hit: Hit): string => (hit.matched?.length ? `  “${hit.matched.join(' ')}”` : '');

/** What a hit line adds after the image: its date when ordered by date, and its folded near-copies. */
export function hitDetails(h: ReplyHit): string[] {
  return [
    ...(h.date ? [`${h.date.kind} ${new Date(h.date.at).toISOString().slice(0, 10)}`] : []),
    ...(h.nearCopies > 0 ? [`+${h.nearCopies} near-cop${h.nearCopies === 1 ? 'y' : 'ies'}`] : []),
  ];
}

/** One line per hit: `#1  0.873  beach.jpg  holidays/2023/beach.jpg`, then the words that matched, if any. */
export function formatHitLines(hits: readonly ReplyHit[]): string[] {
  return hits.map((h) => {
    const location = h.location === h.hit.image_name ? '' : `  ${h.location}`;
    const details = hitDetails(h)
      .map((d) => `  (${d})`)
      .join('');
    return `#${h.rank}  ${formatScore(h.score)}  ${h.hit.image_name}${location}${details}${matchedWords(h.hit)}`;
  });
}
