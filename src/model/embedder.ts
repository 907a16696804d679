import ort from 'onnxruntime-node';
import { InputError, ServiceError } from '../util/errors.js';
import type { Precision } from './folder.js';
import { ResidentTower } from './resident-tower.js';
import { Tower } from './tower.js';
import type { Size } from './geometry.js';
import { openModelParts, type ModelParts } from './parts.js';
import { ImagePreprocessor, type ImageLimits } from './preprocess.js';
import type { TextTokenizer } from './tokenize.js';
import type { EmbedOutcome, Embedder, ImageInput, PrepareOptions, PreparedImage } from './types.js';

export interface EmbedderOptions {
  /** Model folder (transformers.js or open_clip layout): both towers, preprocessing, tokenizer. */
  modelDir: string;
  /** A separate text encoder folder (multilingual) used instead of CLIP's text tower. */
  textModelDir?: string;
  precision: Precision;
  /** onnxruntime intra-op threads per session. */
  threads: number;
  limits: ImageLimits;
  /** Images per inference batch inside embedImages / texts per batch inside embedTexts. */
  batchSize: number;
  /**
   * Release the vision tower after this long without an image to embed (it loads again when one comes);
   * without it the tower stays in memory.
   */
  visionIdleMs?: number;
  /**
   * The same for the text tower. Indexing embeds images only, so it gives 0: the tower is checked at startup,
   * then leaves memory (~240 MiB fp32) until a text comes.
   */
  textIdleMs?: number;
}

/** A query longer than this is refused rather than tokenised (the model reads 77 tokens anyway). */
const maxTextChars = 10_000;

const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Loads the folders (either layout), checks graphs against each other and the configs, returns a ready Embedder. */
export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const { precision, threads } = options;
  const parts = await openModelParts(options.modelDir, options.textModelDir, precision);
  const vision = await Tower.open(parts.vision.graph, parts.vision.spec, threads);
  let text: Tower;
  try {
    text = await Tower.open(parts.text.graph, parts.text.spec, threads);
  } catch (error) {
    await vision.release();
    throw error;
  }
  try {
    const dims = checkDims(parts, vision, text);
    const inputSize = checkImageInput(parts, vision);
    const feeds = textFeeds(text);
    checkVocabulary(parts);
    return new OnnxEmbedder(
      parts.id,
      dims,
      { name: parts.vision.input, size: inputSize },
      new ImagePreprocessor(parts.vision.plan, options.limits),
      parts.text.tokenizer,
      feeds,
      new ResidentTower(
        parts.vision.graph,
        parts.vision.spec,
        threads,
        options.visionIdleMs ?? Number.POSITIVE_INFINITY,
        vision,
      ),
      new ResidentTower(
        parts.text.graph,
        parts.text.spec,
        threads,
        options.textIdleMs ?? Number.POSITIVE_INFINITY,
        text,
      ),
      options.batchSize,
    );
  } catch (error) {
    await Promise.all([vision.release(), text.release()]);
    throw error;
  }
}

/** The embedding size: vision output, text output and the configured size must agree. */
function checkDims(parts: ModelParts, vision: Tower, text: Tower): number {
  const declared = parts.dims;
  const dims = vision.dims ?? declared?.value;
  if (dims === undefined) {
    throw new ServiceError(
      'model',
      `${vision.file}: the output size is not stated and the config does not give it`,
    );
  }
  if (declared !== undefined && declared.value !== dims) {
    throw new ServiceError(
      'model',
      `${vision.file}: ${vision.output} has ${dims} dimensions but ${declared.where} is ${declared.value}`,
    );
  }
  if (text.dims !== undefined && text.dims !== dims) {
    throw new ServiceError(
      'model',
      `${text.file}: ${text.output} has ${text.dims} dimensions but the vision model gives ${dims}`,
    );
  }
  return dims;
}

/** The image input must be [batch, 3, height, width] with the preprocessing's output size where the graph states it. */
function checkImageInput(parts: ModelParts, vision: Tower): Size {
  const { input, plan, planFile } = parts.vision;
  const [, channels, height, width] = vision.inputs.get(input)?.shape ?? [];
  const mismatch = (what: string, graph: unknown, config: unknown) =>
    new ServiceError('model', `${vision.file}: ${input} ${what} is ${graph} but ${planFile} gives ${config}`);
  if (typeof channels === 'number' && channels !== 3) throw mismatch('channel count', channels, 3);
  const size = plan.crop ?? (plan.resize && !('shortestEdge' in plan.resize) ? plan.resize : null);
  if (!size)
    throw new ServiceError('model', `${planFile}: do_center_crop is off; a fixed input size is needed`);
  if (typeof height === 'number' && height !== size.height) throw mismatch('height', height, size.height);
  if (typeof width === 'number' && width !== size.width) throw mismatch('width', width, size.width);
  return size;
}

/** How token ids reach the text graph: input names, integer type, and a fixed length when the graph has one. */
interface TextFeeds {
  ids: string;
  mask?: string;
  type: 'int32' | 'int64';
  length?: number;
}

function textFeeds(text: Tower): TextFeeds {
  const ids = text.inputs.has('text') ? 'text' : text.inputs.has('input_ids') ? 'input_ids' : undefined;
  if (!ids || (ids === 'text' && text.inputs.size > 1)) {
    const names = [...text.inputs.keys()].map((n) => `"${n}"`).join(', ');
    throw new ServiceError(
      'model',
      `${text.file}: expected input "text", or "input_ids" (+ "attention_mask"); the graph has ${names || 'none'}`,
    );
  }
  const meta = text.inputs.get(ids);
  const type = meta?.type === 'int32' ? 'int32' : 'int64';
  // open_clip's towers add a fixed table of positions: their input has exactly the context length.
  const length = meta?.shape[1];
  return {
    ids,
    ...(text.inputs.has('attention_mask') && { mask: 'attention_mask' }),
    type,
    ...(typeof length === 'number' && { length }),
  };
}

/** A tokenizer that can produce ids past the graph's embedding table would crash it (or read garbage). */
function checkVocabulary(parts: ModelParts): void {
  const { tokenizer, vocab } = parts.text;
  if (vocab === undefined || tokenizer.vocabulary <= vocab.value) return;
  throw new ServiceError(
    'model',
    `${tokenizer.file}: ${tokenizer.vocabulary} tokens, but ${vocab.where} is ${vocab.value}: the tokenizer does not belong to this model`,
  );
}

const tensor = (type: 'int32' | 'int64', values: number[], shape: number[]) =>
  type === 'int32'
    ? new ort.Tensor('int32', Int32Array.from(values), shape)
    : new ort.Tensor(
        'int64',
        BigInt64Array.from(values, (v) => BigInt(v)),
        shape,
      );

class OnnxEmbedder implements Embedder {
  constructor(
    readonly modelId: string,
    readonly dims: number,
    private readonly image: { name: string; size: Size },
    private readonly preprocessor: ImagePreprocessor,
    private readonly tokenizer: TextTokenizer,
    private readonly feeds: TextFeeds,
    private readonly vision: ResidentTower,
    private readonly text: ResidentTower,
    private readonly batchSize: number,
  ) {}

  prepareImage(input: ImageInput, options?: PrepareOptions): Promise<PreparedImage> {
    return this.preprocessor.prepare(input, options);
  }

  async embedPrepared(images: PreparedImage[]): Promise<Float32Array[]> {
    if (images.length === 0) return [];
    const { width, height } = this.image.size;
    const size = 3 * width * height;
    const batch = new Float32Array(images.length * size);
    images.forEach((image, i) => {
      if (image.pixels.length !== size)
        throw new Error(`${image.name}: not prepared by this embedder (size differs)`);
      batch.set(image.pixels, i * size);
    });
    const pixels = new ort.Tensor('float32', batch, [images.length, 3, height, width]);
    return this.vision.embed({ [this.image.name]: pixels }, images.length);
  }

  /** Batches of `batchSize`; the next batch decodes while one runs on the inference thread. */
  async embedImages(inputs: ImageInput[]): Promise<EmbedOutcome[]> {
    const outcomes: EmbedOutcome[] = [];
    const batches = chunks(inputs, this.batchSize);
    const prepare = (batch: ImageInput[] | undefined) =>
      batch && Promise.allSettled(batch.map((input) => this.preprocessor.prepare(input)));
    let next = prepare(batches[0]);
    for (let b = 1; next; b++) {
      const settled = await next;
      next = prepare(batches[b]);
      const ready = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const vectors = await this.embedPrepared(ready);
      let v = 0;
      for (const s of settled) {
        outcomes.push(s.status === 'fulfilled' ? (vectors[v++] as Float32Array) : asInputError(s.reason));
      }
    }
    return outcomes;
  }

  async embedTexts(texts: string[]): Promise<EmbedOutcome[]> {
    const outcomes: EmbedOutcome[] = texts.map((t) =>
      t.length > maxTextChars
        ? new InputError('text', `too long: ${t.length} characters (limit ${maxTextChars})`)
        : new Float32Array(0),
    );
    const wanted = texts.map((t, i) => ({ t, i })).filter(({ i }) => !(outcomes[i] instanceof InputError));
    for (const batch of chunks(wanted, this.batchSize)) {
      const { ids, mask, type, length } = this.feeds;
      const tokens = this.tokenizer.batch(
        batch.map((w) => w.t),
        length,
      );
      const shape = [tokens.rows, tokens.length];
      const feeds: Record<string, ort.Tensor> = { [ids]: tensor(type, tokens.ids, shape) };
      if (mask) feeds[mask] = tensor(type, tokens.mask, shape);
      const vectors = await this.text.embed(feeds, tokens.rows);
      batch.forEach((w, k) => (outcomes[w.i] = vectors[k] as Float32Array));
    }
    return outcomes;
  }

  async close(): Promise<void> {
    await Promise.all([this.vision.release(), this.text.release()]);
  }
}

/** Preparing only throws InputError for bad input; anything else is our failure and must surface. */
function asInputError(reason: unknown): InputError {
  if (reason instanceof InputError) return reason;
  throw reason;
}
