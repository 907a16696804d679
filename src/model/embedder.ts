import ort from 'onnxruntime-node';
import { InputError, ServiceError } from '../util/errors.js';
import { intAt, openModelFolder, type ModelFolder, type Precision } from './folder.js';
import { Graph } from './graph.js';
import type { Size } from './geometry.js';
import { imagePlan } from './image-config.js';
import { ImagePreprocessor, type ImageLimits } from './preprocess.js';
import { TextTokenizer } from './tokenize.js';
import type { EmbedOutcome, Embedder, ImageInput, PreparedImage } from './types.js';

export interface EmbedderOptions {
  /** CLIP folder: vision tower, preprocessor and (unless textModelDir is set) the text tower. */
  modelDir: string;
  /** A separate text encoder folder (multilingual) used instead of CLIP's text tower. */
  textModelDir?: string;
  precision: Precision;
  /** onnxruntime intra-op threads per session. */
  threads: number;
  limits: ImageLimits;
  /** Images per inference batch inside embedImages / texts per batch inside embedTexts. */
  batchSize: number;
}

/** A query longer than this is refused rather than tokenised (the model reads 77 tokens anyway). */
const maxTextChars = 10_000;

const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Loads the folders, checks graphs against each other and the configs, and returns a ready Embedder. */
export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const { precision, threads } = options;
  const clip = await openModelFolder(options.modelDir, precision);
  const text = options.textModelDir ? await openModelFolder(options.textModelDir, precision) : clip;
  const preprocessorFile = `${clip.dir}/preprocessor_config.json`;
  let plan;
  try {
    plan = imagePlan(await clip.json('preprocessor_config.json'));
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    throw new ServiceError('model', `${preprocessorFile}: ${(error as Error).message}`);
  }
  const tokenizer = TextTokenizer.fromFolder(text);

  const vision = await Graph.open(
    await clip.graph('vision_model'),
    { required: ['pixel_values'], output: 'image_embeds' },
    threads,
  );
  let textGraph: Graph;
  try {
    textGraph = await Graph.open(
      await text.graph('text_model'),
      { required: ['input_ids'], optional: ['attention_mask'], output: 'text_embeds' },
      threads,
    );
  } catch (error) {
    await vision.release();
    throw error;
  }
  try {
    const dims = checkDims(clip, text, vision, textGraph);
    const inputSize = checkImageInput(vision, plan.crop, preprocessorFile);
    return new OnnxEmbedder(
      modelId(clip, text === clip ? undefined : text, precision),
      dims,
      inputSize,
      new ImagePreprocessor(plan, options.limits),
      tokenizer,
      vision,
      textGraph,
      options.batchSize,
    );
  } catch (error) {
    await Promise.all([vision.release(), textGraph.release()]);
    throw error;
  }
}

/** Stable across machines and folder moves: hub name (or folder name) and precision of both towers. */
function modelId(clip: ModelFolder, text: ModelFolder | undefined, precision: Precision): string {
  return `${clip.name}@${precision}${text ? `+text:${text.name}@${precision}` : ''}`;
}

/** The embedding size: vision output, text output and config.json projection_dim must agree. */
function checkDims(clip: ModelFolder, text: ModelFolder, vision: Graph, textGraph: Graph): number {
  const projection = intAt(clip.config, 'projection_dim');
  const dims = vision.dims ?? projection;
  if (dims === undefined) {
    throw new ServiceError(
      'model',
      `${vision.file}: the output size is not stated and config.json has no projection_dim`,
    );
  }
  if (projection !== undefined && projection !== dims) {
    throw new ServiceError(
      'model',
      `${vision.file}: image_embeds has ${dims} dimensions but ${clip.dir}/config.json projection_dim is ${projection}`,
    );
  }
  const textDims = textGraph.dims ?? intAt(text.config, 'projection_dim');
  if (textDims !== undefined && textDims !== dims) {
    throw new ServiceError(
      'model',
      `${textGraph.file}: text_embeds has ${textDims} dimensions but the vision model gives ${dims}`,
    );
  }
  return dims;
}

/** pixel_values must be [batch, 3, crop height, crop width] where the graph states the sizes. */
function checkImageInput(vision: Graph, crop: Size | null, preprocessorFile: string): Size {
  const shape = vision.inputs.get('pixel_values')?.shape ?? [];
  const [, channels, height, width] = shape;
  const mismatch = (what: string, graph: unknown, config: unknown) =>
    new ServiceError(
      'model',
      `${vision.file}: pixel_values ${what} is ${graph} but ${preprocessorFile} gives ${config}`,
    );
  if (typeof channels === 'number' && channels !== 3) throw mismatch('channel count', channels, 3);
  if (!crop)
    throw new ServiceError(
      'model',
      `${preprocessorFile}: do_center_crop is off; a fixed input size is needed`,
    );
  if (typeof height === 'number' && height !== crop.height) throw mismatch('height', height, crop.height);
  if (typeof width === 'number' && width !== crop.width) throw mismatch('width', width, crop.width);
  return crop;
}

class OnnxEmbedder implements Embedder {
  constructor(
    readonly modelId: string,
    readonly dims: number,
    private readonly inputSize: Size,
    private readonly preprocessor: ImagePreprocessor,
    private readonly tokenizer: TextTokenizer,
    private readonly vision: Graph,
    private readonly text: Graph,
    private readonly batchSize: number,
  ) {}

  prepareImage(input: ImageInput): Promise<PreparedImage> {
    return this.preprocessor.prepare(input);
  }

  async embedPrepared(images: PreparedImage[]): Promise<Float32Array[]> {
    if (images.length === 0) return [];
    const { width, height } = this.inputSize;
    const size = 3 * width * height;
    const batch = new Float32Array(images.length * size);
    images.forEach((image, i) => {
      if (image.pixels.length !== size)
        throw new Error(`${image.name}: not prepared by this embedder (size differs)`);
      batch.set(image.pixels, i * size);
    });
    const tensor = new ort.Tensor('float32', batch, [images.length, 3, height, width]);
    return this.vision.embed({ pixel_values: tensor }, images.length);
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
      const tokens = this.tokenizer.batch(batch.map((w) => w.t));
      const shape = [tokens.rows, tokens.length];
      const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', tokens.ids, shape) };
      if (this.text.inputs.has('attention_mask'))
        feeds.attention_mask = new ort.Tensor('int64', tokens.mask, shape);
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
