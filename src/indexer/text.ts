import type { GateVerdict, OcrResult, RawPixels } from '../ocr/types.js';
import type { ImageMeta, TextUpdate, VectorStore } from '../store/types.js';
import type { Logger } from '../util/log.js';
import { batchedWrites, currentBytes, eachBounded, reasonOf } from './document-pass.js';
import type { Membership } from './membership.js';
import type { ProgressTracker } from './progress.js';
import type { IndexFailure, TextReport } from './types.js';

/** Reads the words in an image (src/ocr/engine.ts); `modelId` is recorded as each document's `text_by`. */
export interface TextReader {
  readonly modelId: string;
  read(name: string, bytes: Buffer): Promise<OcrResult>;
  /** The cheap test alone, on pixels already decoded (the indexing pipeline's thumbnail pixels). */
  gate(pixels: RawPixels): Promise<GateVerdict>;
}

/** Documents whose text is written in one store call. */
const writeBatch = 32;
/** Images read at once: one is decoded or read from disk while the other is on the models. */
const concurrency = 2;

export interface TextPass {
  reader: TextReader;
  store: VectorStore;
  /** The slice's documents after the run (what the store holds now). */
  documents: Iterable<ImageMeta>;
  membership: Membership;
  isMine(id: string): boolean;
  progress: ProgressTracker;
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Reads the text of every document of the slice that has none from this reader yet, and writes it beside
 * the stored vector (nothing is embedded again). New and changed images are read right after they are
 * indexed; images indexed before text search, or by an interrupted run, are read on the next run. An image
 * whose text cannot be read keeps its document and stays searchable by what it shows.
 */
export async function readTexts(pass: TextPass): Promise<TextReport> {
  const { reader, store, membership, progress } = pass;
  const todo = [...pass.documents].filter(
    (doc) => pass.isMine(doc.image_id) && doc.text_by !== reader.modelId,
  );
  const report: TextReport = { read: 0, withText: 0, passedOver: 0, downscaled: 0, failed: [] };
  if (todo.length === 0) return report;
  progress.restart('reading text', todo.length);
  const writes = batchedWrites(writeBatch, async (batch: TextUpdate[]) => {
    const result = await store.setText(batch);
    for (const failure of result.failed)
      report.failed.push({ input: failure.image_id, reason: failure.reason });
  });
  const stopped = await eachBounded(todo, concurrency, async (doc) => {
    pass.signal?.throwIfAborted();
    const outcome = await readDocument(reader, doc, membership);
    if (!('result' in outcome)) {
      if (outcome.failure) report.failed.push(outcome.failure);
      progress.settle({ failed: outcome.failure !== undefined });
      return;
    }
    const { result } = outcome;
    report.read++;
    if (result.gate === 'no-text') report.passedOver++;
    if (result.text !== '') report.withText++;
    if (result.readAt && result.readAt.width * result.readAt.height < doc.width * doc.height)
      report.downscaled++;
    await writes.add({
      image_id: doc.image_id,
      sha256: doc.sha256,
      text: result.text,
      text_confidence: Number(result.confidence.toFixed(4)),
      text_by: reader.modelId,
    });
    progress.settle({ failed: false });
  });
  // What was read before a store failure or a cancel is kept: the next run reads only the rest.
  await writes.flush();
  if (stopped !== undefined) throw stopped;
  pass.logger?.debug('read the text in images', { ...report, failed: report.failed.length });
  return report;
}

/**
 * Reads one document's text from any of its keys that still has its content (currentBytes); a content no key
 * holds any more is left for the next run, unreported.
 */
async function readDocument(
  reader: TextReader,
  doc: ImageMeta,
  membership: Membership,
): Promise<{ result: OcrResult } | { failure?: IndexFailure }> {
  const current = await currentBytes(doc, membership);
  if (!current) return {};
  try {
    return { result: await reader.read(current.key, current.bytes) };
  } catch (error) {
    const reason = `text not read (${reasonOf(error)}); still found by what it shows`;
    return { failure: { input: current.key, reason } };
  }
}
