import { access } from 'node:fs/promises';
import path from 'node:path';
import { ServiceError } from '../util/errors.js';
import { intAt, openModelFolder, type Json, type ModelFolder, type Precision } from './folder.js';
import type { TowerSpec } from './tower.js';
import { imagePlan, type ImagePlan } from './image-config.js';
import { openClipParts } from './open-clip.js';
import { TextTokenizer } from './tokenize.js';

/**
 * The two layouts model hubs publish: transformers.js (`onnx/vision_model.onnx`, `onnx/text_model.onnx`, files at
 * the top) and open_clip as immich exports it (`visual/model.onnx`, `textual/model.onnx`, `config.json` with
 * `text_cfg`).
 */
export type Layout = 'transformers' | 'open_clip';

/** A number a config file states, with where, for messages. */
export interface Declared {
  value: number;
  where: string;
}

/** Everything the embedder needs from a model, whichever layout it came in; nothing loaded into onnxruntime yet. */
export interface ModelParts {
  layout: Layout;
  /** Stable across machines and folder moves (the index records it): hub or folder name and precision. */
  id: string;
  vision: { graph: string; spec: TowerSpec; input: string; plan: ImagePlan; planFile: string };
  text: { graph: string; spec: TowerSpec; tokenizer: TextTokenizer; vocab?: Declared };
  /** The embedding size the configuration states. */
  dims?: Declared;
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** Which layout a folder is in, from the files it has; an error lists what either layout needs. */
export async function detectLayout(dir: string): Promise<Layout> {
  if (!(await exists(dir))) throw new ServiceError('model', `${dir}: model folder not found`);
  if ((await exists(path.join(dir, 'visual'))) || (await exists(path.join(dir, 'textual'))))
    return 'open_clip';
  if (await exists(path.join(dir, 'onnx'))) return 'transformers';
  throw new ServiceError(
    'model',
    `${dir}: not a model folder: expected onnx/vision_model.onnx + onnx/text_model.onnx (transformers.js layout) ` +
      'or visual/model.onnx + textual/model.onnx (open_clip layout)',
  );
}

/**
 * Reads a model folder in either layout, plus optionally a separate text encoder folder (transformers.js layout,
 * e.g. the multilingual sentence-transformers export) that replaces the model's own text tower.
 */
export async function openModelParts(
  dir: string,
  textDir: string | undefined,
  precision: Precision,
): Promise<ModelParts> {
  const layout = await detectLayout(dir);
  const parts =
    layout === 'open_clip' ? await openClipParts(dir, precision) : await transformersParts(dir, precision);
  if (!textDir) return parts;
  const text = await transformersText(await openModelFolder(textDir, precision), precision);
  return { ...parts, id: `${parts.id}+text:${text.id}`, text: text.part };
}

/** The text tower of a transformers.js-layout folder (a CLIP, or a text encoder on its own). */
async function transformersText(folder: ModelFolder, precision: Precision) {
  const vocab = intAt((folder.config.text_config ?? {}) as Json, 'vocab_size');
  const part: ModelParts['text'] = {
    graph: await folder.graph('text_model'),
    spec: { required: ['input_ids'], optional: ['attention_mask'], output: 'text_embeds' },
    tokenizer: TextTokenizer.fromFolder(folder),
    ...(vocab !== undefined && {
      vocab: { value: vocab, where: `${folder.dir}/config.json text_config.vocab_size` },
    }),
  };
  return { id: `${folder.name}@${precision}`, part };
}

async function transformersParts(dir: string, precision: Precision): Promise<ModelParts> {
  const folder = await openModelFolder(dir, precision);
  const planFile = path.join(dir, 'preprocessor_config.json');
  let plan: ImagePlan;
  try {
    plan = imagePlan(await folder.json('preprocessor_config.json'));
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    throw new ServiceError('model', `${planFile}: ${(error as Error).message}`);
  }
  const text = await transformersText(folder, precision);
  const projection = intAt(folder.config, 'projection_dim');
  return {
    layout: 'transformers',
    id: text.id,
    vision: {
      graph: await folder.graph('vision_model'),
      spec: { required: ['pixel_values'], output: 'image_embeds' },
      input: 'pixel_values',
      plan,
      planFile,
    },
    text: text.part,
    ...(projection !== undefined && {
      dims: { value: projection, where: `${dir}/config.json projection_dim` },
    }),
  };
}
