// The committed reference fixtures (scripts/export-onnx.py) and small helpers the model tests share.
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmbedder, type EmbedderOptions } from '../../../src/model/index.js';
import type { Embedder } from '../../../src/model/types.js';

export const fixtures = path.resolve(import.meta.dirname, '../../fixtures');
export const clipDir = path.join(fixtures, 'tiny-clip');
export const multilingualDir = path.join(fixtures, 'tiny-multilingual');
/** The tiny open_clip model (128 dims), beside the tiny CLIP one (512): two models of other dims. */
export const openClipDir = path.join(fixtures, 'open-clip/clip');

export interface ExpectedImage {
  file: string;
  error?: string;
  decoded?: { size_after_exif: [number, number] };
  resized?: [number, number];
  crop?: { left: number; top: number; width: number; height: number };
  preprocessed?: string;
  embedding?: number[];
}

export interface ExpectedText {
  id: string;
  text: string;
  input_ids: number[];
  truncated: boolean;
  embedding: number[];
}

export interface Expected {
  tokenizer: { eos_token_id?: number; sep_token_id?: number; pad_token_id: number; max_length: number };
  images: ExpectedImage[];
  texts: ExpectedText[];
}

export const readExpected = async (dir: string): Promise<Expected> =>
  JSON.parse(await readFile(path.join(dir, 'expected.json'), 'utf8')) as Expected;

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

export const defaultOptions: EmbedderOptions = {
  modelDir: clipDir,
  precision: 'fp32',
  threads: 1,
  limits: { maxBytes: 50 * 1024 * 1024, maxPixels: 100_000_000 },
  batchSize: 8,
};

export const tinyEmbedder = (options: Partial<EmbedderOptions> = {}): Promise<Embedder> =>
  createEmbedder({ ...defaultOptions, ...options });

/** A temporary folder, removed by `remove`. */
export async function tempFolder(
  prefix = 'lookalike-model-',
): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A writable copy of a fixture model folder inside `parent`. */
export async function copyModel(
  source: string,
  parent: string,
  name = path.basename(source),
): Promise<string> {
  const dir = path.join(parent, name);
  await cp(source, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}preprocessed`) });
  return dir;
}
