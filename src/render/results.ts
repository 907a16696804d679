import type { FileAttachment, Reply, ReplyHit } from './reply.js';
import type { Hit } from '../store/types.js';
import { fitAttachment } from './attachments.js';
import { renderContactSheet } from './contact-sheet.js';
import { hitLocation } from './list.js';

export interface ResultsRenderOptions {
  title: string;
  hits: (Hit & { nearCopies?: Hit[] })[];
  /** Show each hit's date (the answer is ordered by date). */
  showDates?: boolean;
  /** Sentences about the whole answer. */
  notes?: string[];
  /** Rank of the first hit (1 on the first page). */
  firstRank: number;
  cursor?: string;
  /** Reads a hit's image (undefined when it cannot). */
  loadImage(hit: Hit): Promise<Buffer | undefined>;
  /** Largest file the platform accepts. */
  uploadLimitBytes: number;
  maxPixels: number;
  /** How many of the top images go along as attachments of their own. */
  attachTop: number;
}

/** A `results` reply: the ranked list, a contact sheet of all hits, and the top images within the upload limit. */
export async function renderResults(
  options: ResultsRenderOptions,
): Promise<Extract<Reply, { kind: 'results' }>> {
  const hits: ReplyHit[] = options.hits.map(({ nearCopies, ...hit }, i) => ({
    rank: options.firstRank + i,
    score: hit.score,
    hit,
    location: hitLocation(hit),
    nearCopies: nearCopies?.length ?? 0,
    ...(options.showDates &&
      hit.date !== undefined &&
      hit.date_kind && { date: { at: hit.date, kind: hit.date_kind } }),
  }));
  const images = await Promise.all(options.hits.map((hit) => options.loadImage(hit)));
  const sheet = await renderContactSheet(
    hits.map((h, i) => ({
      rank: h.rank,
      score: h.score,
      name: h.hit.image_name,
      ...(h.hit.matched?.length && { words: h.hit.matched.join(' ') }),
      bytes: images[i],
    })),
    { maxPixels: options.maxPixels },
  );
  const contactSheet: FileAttachment = {
    name: `lookalike-${options.firstRank}-${options.firstRank + hits.length - 1}.jpg`,
    contentType: 'image/jpeg',
    bytes: sheet,
  };
  const attachments = await Promise.all(
    hits.slice(0, options.attachTop).map(async (h, i) => {
      const bytes = images[i];
      return bytes && fitAttachment(bytes, h.hit.image_name, options.uploadLimitBytes, options.maxPixels);
    }),
  );
  return {
    kind: 'results',
    title: options.title,
    hits,
    contactSheet: sheet.length <= options.uploadLimitBytes ? contactSheet : undefined,
    images: attachments.filter((a): a is FileAttachment => a !== undefined),
    ...(options.cursor ? { cursor: options.cursor } : {}),
    notes: options.notes ?? [],
  };
}
