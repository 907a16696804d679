import { createHash } from 'node:crypto';
import PQueue from 'p-queue';
import type { Size } from '../model/geometry.js';
import type { DecodedPixels, Embedder, PreparedImage } from '../model/types.js';
import type { ImageDocument, TextUpdate, ThumbnailUpdate } from '../store/types.js';
import { InputError } from '../util/errors.js';
import { Batcher, Slots } from './pipeline-parts.js';
import type { Work } from './plan.js';
import { imageFacts, type ImageFacts } from '../sources/image-facts.js';
import type { TextReader } from './text.js';
import { makeThumbnail, makeThumbnailFromPixels, makeThumbnailWithPixels } from './thumbnail.js';

export type ReadOutcome =
  { ok: true; bytes: Buffer; sha: string; facts: ImageFacts } | { ok: false; error: InputError };

/** Text known before the text pass: the empty text of an image OCR's cheap test passed over. */
export type KnownText = Pick<TextUpdate, 'text' | 'text_confidence' | 'text_by'>;

export interface Embedded {
  work: Work;
  image: PreparedImage;
  vector: Float32Array;
  text?: KnownText;
}

/** What the run decides at each step; the pipeline only moves bytes, images and vectors between steps. */
export interface PipelineSteps {
  /** A key whose content is known without reading it. */
  known(work: Work): void;
  /**
   * Called in key order after each read: whether these bytes must be embedded, only decoded (to learn
   * whether they can be; a dry run decodes instead of embedding), or neither.
   */
  read(work: Work, outcome: ReadOutcome): 'embed' | 'decode' | undefined;
  /** The decoder refused the content. */
  undecodable(work: Work, error: InputError): void;
  /** The content decodes (and is not embedded). */
  decodable(work: Work, image: PreparedImage): void;
  /** Documents for one embedded batch. */
  documents(batch: Embedded[]): ImageDocument[];
  /** Writes documents (resolves once they are stored). */
  write(documents: ImageDocument[]): Promise<void>;
  /** Stores the thumbnails of documents just written (never throws: a thumbnail is not worth a run). */
  thumbnails(updates: ThumbnailUpdate[]): Promise<void>;
}

export interface PipelineOptions {
  embedder: Embedder;
  concurrency: number;
  batchSize: number;
  dryRun: boolean;
  /** Runs OCR's cheap test on each embedded image's thumbnail pixels (see previewOf). */
  reader?: Pick<TextReader, 'modelId' | 'gate'>;
  signal?: AbortSignal;
}

/**
 * Reads in key order, decodes `concurrency` images at a time, embeds batches of `batchSize` while the next
 * batch is being decoded, and keeps one write in flight. A bounded number of items is between reading and
 * stored at any moment, so a slow store or model slows reading down instead of filling memory.
 */
export async function runPipeline(
  work: Work[],
  steps: PipelineSteps,
  options: PipelineOptions,
): Promise<void> {
  const { embedder, concurrency, batchSize } = options;
  const stop = new AbortController();
  let failure: unknown;
  const fail = (error: unknown) => {
    failure ??= error;
    stop.abort(error);
  };
  const onOutsideAbort = () => fail(options.signal?.reason ?? new Error('indexing was cancelled'));
  options.signal?.addEventListener('abort', onOutsideAbort, { once: true });
  if (options.signal?.aborted) onOutsideAbort();

  // A whole batch can be in decoding at once, while the one before it runs on the inference thread.
  const decoders = Math.max(concurrency, batchSize);
  // Reading window + decoding + a batch being filled, one being embedded and one being written.
  const slots = new Slots(inFlightLimit(concurrency, batchSize), stop.signal);
  const decoding = new PQueue({ concurrency: decoders });
  const ready = new Batcher<{
    work: Work;
    image: PreparedImage;
    sha: string;
    thumbnail?: Buffer;
    text?: KnownText;
  }>(stop.signal);

  const decode = async (item: Work, bytes: Buffer, sha: string, embed: boolean) => {
    try {
      const name = item.member.key;
      // A large JPEG is decoded once: the preview is made from the pixels the model's input came from.
      const { upright, ...image } = await embedder.prepareImage({ name, bytes }, { keepUpright: embed });
      const preview = embed
        ? await previewOf(name, { bytes, upright, size: image }, options.reader)
        : undefined;
      if (!embed) {
        steps.decodable(item, image);
        slots.release();
      } else ready.push({ work: item, image, sha, ...preview });
    } catch (error) {
      if (!(error instanceof InputError)) return fail(error);
      steps.undecodable(item, error);
      slots.release();
    }
  };

  const embedBatches = async () => {
    let writing: Promise<void> = Promise.resolve();
    for (;;) {
      const batch = await ready.take(batchSize);
      if (batch.length === 0) break;
      // The model runs on its own thread: reading and decoding the next batch go on meanwhile.
      const vectors = await embedder.embedPrepared(batch.map((b) => b.image));
      const documents = steps.documents(batch.map((b, i) => ({ ...b, vector: vectors[i] as Float32Array })));
      const thumbnails = new Map(batch.flatMap((b) => (b.thumbnail ? [[b.sha, b.thumbnail] as const] : [])));
      const updates = documents.flatMap((doc) => {
        const bytes = thumbnails.get(doc.sha256);
        return bytes ? [{ image_id: doc.image_id, sha256: doc.sha256, bytes }] : [];
      });
      await writing;
      writing = steps
        .write(documents)
        .then(() => steps.thumbnails(updates))
        .finally(() => slots.release(batch.length));
      writing.catch(() => undefined); // awaited before the next write; this only marks it handled meanwhile
    }
    await writing;
  };

  const embedding = options.dryRun ? Promise.resolve() : embedBatches().catch(fail);
  try {
    const window: { item: Work; read: Promise<ReadOutcome> }[] = [];
    const consume = async () => {
      const next = window.shift();
      if (!next) return;
      const outcome = await next.read;
      stop.signal.throwIfAborted();
      const wanted = steps.read(next.item, outcome);
      if (wanted && outcome.ok) {
        void decoding.add(() =>
          decode(next.item, outcome.bytes, outcome.sha, wanted === 'embed' && !options.dryRun),
        );
      } else slots.release();
    };
    for (const item of work) {
      stop.signal.throwIfAborted();
      if (item.knownSha !== undefined) {
        steps.known(item);
        continue;
      }
      await slots.acquire();
      await decoding.onSizeLessThan(concurrency);
      window.push({ item, read: readItem(item) });
      if (window.length >= concurrency) await consume();
    }
    while (window.length > 0) await consume();
    await decoding.onIdle();
  } catch (error) {
    fail(error);
  } finally {
    ready.close();
    await embedding;
    await decoding.onIdle();
    options.signal?.removeEventListener('abort', onOutsideAbort);
  }
  if (failure !== undefined) throw failure;
}

/**
 * The thumbnail, made from the upright pixels the model's preprocessing decoded (a large JPEG) or else from
 * the bytes in hand, and with a reader OCR's cheap test on the thumbnail's pixels (no decoding of its own).
 * The test runs on the detector's thread while CLIP embeds the batch before, and a photo it passes over is
 * written with its empty text at once, so the text pass at the end of the run never opens it again. A
 * thumbnail or a test that fails is left to those passes, which retry and report.
 */
async function previewOf(
  name: string,
  source: { bytes: Buffer; upright: DecodedPixels | undefined; size: Size },
  reader: PipelineOptions['reader'],
): Promise<{ thumbnail?: Buffer; text?: KnownText }> {
  const { bytes, upright, size } = source;
  try {
    if (!reader && !upright) return { thumbnail: await makeThumbnail(name, bytes) };
    const { thumbnail, pixels } = upright
      ? await makeThumbnailFromPixels(name, upright, { width: size.width, height: size.height })
      : await makeThumbnailWithPixels(name, bytes);
    if (!reader) return { thumbnail };
    const verdict = await reader.gate(pixels).catch(() => undefined);
    if (verdict?.worth !== false) return { thumbnail };
    return { thumbnail, text: { text: '', text_confidence: 0, text_by: reader.modelId } };
  } catch {
    return {};
  }
}

/** Items between being read and being stored, at most: what bounds the memory a run holds. */
export const inFlightLimit = (concurrency: number, batchSize: number) =>
  2 * Math.max(concurrency, batchSize) + 3 * batchSize;

/** Reads and hashes one item; a bad or unreadable input becomes an InputError, never an exception. */
async function readItem(item: Work): Promise<ReadOutcome> {
  const { member } = item;
  try {
    const bytes = await (member.item as NonNullable<typeof member.item>).bytes();
    const sha = createHash('sha256').update(bytes).digest('hex');
    return { ok: true, bytes, sha, facts: await imageFacts(bytes) };
  } catch (error) {
    if (error instanceof InputError) return { ok: false, error };
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, error: new InputError(member.key, `cannot be read: ${reason}`) };
  }
}
