import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ServiceError } from '../util/errors.js';

export type Precision = 'fp32' | 'fp16' | 'quantized';
export type GraphName = 'vision_model' | 'text_model';

/** transformers.js file naming: onnx/vision_model.onnx, onnx/vision_model_fp16.onnx, onnx/vision_model_quantized.onnx. */
export const graphFile = (graph: GraphName, precision: Precision) =>
  `onnx/${graph}${precision === 'fp32' ? '' : `_${precision}`}.onnx`;

export type Json = Record<string, unknown>;

/** A model folder in the transformers.js / Hugging Face ONNX layout, its JSON files read and checked. */
export interface ModelFolder {
  dir: string;
  /** config.json `_name_or_path` when it names a hub model, else the folder's name. */
  name: string;
  config: Json;
  tokenizer: Json;
  tokenizerConfig: Json;
  specialTokens: Json;
  /** Absolute path of a graph at the chosen precision (checked to exist). */
  graph(graph: GraphName): Promise<string>;
  /** A required JSON file of this folder. */
  json(file: string): Promise<Json>;
}

export const problem = (file: string, why: string) => new ServiceError('model', `${file}: ${why}`);

/** A JSON object file; a missing optional file reads as {}. */
export async function readJson(file: string, required: boolean): Promise<Json> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {};
    throw problem(file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'cannot be read');
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Json;
  } catch (error) {
    throw problem(file, `is not a valid JSON object (${(error as Error).message})`);
  }
}

/** Opens a model folder: config.json and the tokenizer files must be there; graphs are looked up on demand. */
export async function openModelFolder(dir: string, precision: Precision): Promise<ModelFolder> {
  const at = (file: string) => path.join(dir, file);
  try {
    await access(dir);
  } catch {
    throw problem(dir, 'model folder not found');
  }
  const [config, tokenizer, tokenizerConfig, specialTokens] = await Promise.all([
    readJson(at('config.json'), true),
    readJson(at('tokenizer.json'), true),
    readJson(at('tokenizer_config.json'), false),
    readJson(at('special_tokens_map.json'), false),
  ]);
  const hubName = config._name_or_path;
  return {
    dir,
    name:
      typeof hubName === 'string' && /^[\w.-]+\/[\w.-]+$/.test(hubName)
        ? hubName
        : path.basename(path.resolve(dir)),
    config,
    tokenizer,
    tokenizerConfig,
    specialTokens,
    async graph(graph) {
      const file = at(graphFile(graph, precision));
      try {
        await access(file);
      } catch {
        throw problem(
          file,
          `missing (precision ${precision}; LOOKALIKE_PRECISION picks fp32, fp16 or quantized)`,
        );
      }
      return file;
    },
    json: (file) => readJson(at(file), true),
  };
}

/** A positive integer found at `key` of `json` or of `json[section]`. */
export function intAt(json: Json, key: string, section?: string): number | undefined {
  const holder = section ? (json[section] as Json | undefined) : json;
  const value = holder?.[key];
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
