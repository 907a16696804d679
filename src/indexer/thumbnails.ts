import type { ImageMeta, ThumbnailUpdate, VectorStore } from '../store/types.js';
import type { Logger } from '../util/log.js';
import { batchedWrites, currentBytes, eachBounded, reasonOf } from './document-pass.js';
import type { Membership } from './membership.js';
import type { ProgressTracker } from './progress.js';
import { makeThumbnail } from './thumbnail.js';
import type { IndexFailure, ThumbnailReport } from './types.js';

/** Thumbnails written in one store call (about 10 KB each). */
const writeBatch = 32;
/** Ids asked about in one store call. */
const lookupBatch = 1_000;
/** Images read and shrunk at once: one is read from disk while the other is decoded. */
const concurrency = 2;

export interface ThumbnailPass {
  store: VectorStore;
  /** The slice's documents after the run (what the store holds now). */
  documents: Iterable<ImageMeta>;
  membership: Membership;
  isMine(id: string): boolean;
  progress: ProgressTracker;
  /** Documents whose thumbnail the pipeline stored during this run (asked about again all the same: an
   * Elasticsearch document rewritten later in the run, by the final pass, lost it). */
  stored: Set<string>;
  /** Set when the pipeline could not store its thumbnails: the pass reports it and does not try again. */
  storeFailure?: string;
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Gives every document of the slice a thumbnail of its current content. New images get theirs in the
 * pipeline, from the bytes it read anyway; this pass makes the rest: images indexed before thumbnails
 * existed, documents rewritten by a rebuild, thumbnails the pipeline could not store. Nothing is embedded
 * again. An image that decodes for the model but not for the preview is reported and keeps its document
 * (replies show its name). A store that refuses thumbnails is reported, never a failed run: search works
 * without them.
 */
export async function makeThumbnails(pass: ThumbnailPass): Promise<ThumbnailReport> {
  const { store, membership, progress } = pass;
  const report: ThumbnailReport = { made: 0, failed: [] };
  const made = new Set(pass.stored);
  let madeUncounted = 0;
  const total = () => made.size + madeUncounted;
  const mine = [...pass.documents].filter((doc) => pass.isMine(doc.image_id));
  const fail = (error: unknown) => {
    report.storeError = error instanceof Error ? error.message : String(error);
    pass.logger?.warn('thumbnails could not be stored; replies show names instead', {
      error: report.storeError,
    });
    return report;
  };
  if (pass.storeFailure !== undefined) return fail(pass.storeFailure);
  let todo: ImageMeta[];
  try {
    todo = await lacking(store, mine);
  } catch (error) {
    return fail(error);
  }
  for (const doc of todo) made.delete(doc.image_id);
  report.made = total();
  if (todo.length === 0) return report;
  progress.restart('making thumbnails', todo.length);
  const writes = batchedWrites(writeBatch, async (batch: ThumbnailUpdate[]) => {
    const result = await store.setThumbnails(batch);
    const refused = new Set(result.failed.map((f) => f.image_id));
    for (const failure of result.failed)
      report.failed.push({ input: failure.image_id, reason: failure.reason });
    // A document rewritten meanwhile with other content takes no thumbnail: then only the count is known.
    if (result.written === batch.length - refused.size) {
      for (const u of batch) if (!refused.has(u.image_id)) made.add(u.image_id);
    } else madeUncounted += result.written;
    report.made = total();
  });
  let stopped = await eachBounded(todo, concurrency, async (doc) => {
    pass.signal?.throwIfAborted();
    const outcome = await thumbnailOf(doc, membership);
    if ('failure' in outcome || !outcome.bytes) {
      if ('failure' in outcome) report.failed.push(outcome.failure);
      progress.settle({ failed: 'failure' in outcome });
      return;
    }
    await writes.add({ image_id: doc.image_id, sha256: doc.sha256, bytes: outcome.bytes });
    progress.settle({ failed: false });
  });
  try {
    if (stopped === undefined) await writes.flush();
  } catch (error) {
    stopped = error;
  }
  report.made = total();
  if (stopped !== undefined) {
    // A cancel ends the run; a store failure is reported and the run goes on (the next run makes the rest).
    if (pass.signal?.aborted) throw stopped;
    return fail(stopped);
  }
  pass.logger?.debug('made thumbnails', { made: report.made, failed: report.failed.length });
  return report;
}

async function lacking(store: VectorStore, docs: ImageMeta[]): Promise<ImageMeta[]> {
  const byId = new Map(docs.map((doc) => [doc.image_id, doc]));
  const ids = [...byId.keys()];
  const found: ImageMeta[] = [];
  for (let i = 0; i < ids.length; i += lookupBatch) {
    for (const id of await store.lackingThumbnails(ids.slice(i, i + lookupBatch))) {
      const doc = byId.get(id);
      if (doc) found.push(doc);
    }
  }
  return found;
}

/**
 * One document's thumbnail from any of its keys that still has its content (currentBytes); a content no key
 * holds any more is left for the next run, unreported.
 */
async function thumbnailOf(
  doc: ImageMeta,
  membership: Membership,
): Promise<{ bytes?: Buffer } | { failure: IndexFailure }> {
  const current = await currentBytes(doc, membership);
  if (!current) return {};
  try {
    return { bytes: await makeThumbnail(current.key, current.bytes) };
  } catch (error) {
    return { failure: { input: current.key, reason: `${reasonOf(error)}; replies show its name instead` } };
  }
}
