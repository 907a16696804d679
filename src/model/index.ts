import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Config } from '../config/schema.js';
import { configuredModel } from './configured.js';
import { ServiceError } from '../util/errors.js';
import { createEmbedder } from './embedder.js';
import type { Precision } from './folder.js';
import type { Embedder } from './types.js';

export { createEmbedder, type EmbedderOptions } from './embedder.js';

/**
 * The embedder the configuration asks for: LOOKALIKE_MODEL_DIR (or the fetched catalog model LOOKALIKE_MODEL),
 * optionally LOOKALIKE_TEXT_MODEL_DIR for the text side, at LOOKALIKE_PRECISION with LOOKALIKE_THREADS threads.
 */
export async function openEmbedder(config: Config, use: { textIdleMs?: number } = {}): Promise<Embedder> {
  const { model, dir, textDir } = configuredModel(config);
  if (model && !existsSync(dir)) {
    throw new ServiceError(
      'model',
      `no model at ${dir}: run \`lookalike models fetch ${model.name}\` to download LOOKALIKE_MODEL=${model.name}`,
    );
  }
  if (model?.textEncoder && textDir && !existsSync(textDir)) {
    throw new ServiceError(
      'model',
      `no text encoder at ${textDir}: LOOKALIKE_MODEL=${model.name} needs it exported: ${model.textEncoder.export} ${textDir}`,
    );
  }
  return openAt(config, dir, textDir, config.LOOKALIKE_PRECISION, use);
}

function openAt(
  config: Config,
  dir: string,
  textDir: string | undefined,
  precision: Precision,
  use: { textIdleMs?: number } = {},
): Promise<Embedder> {
  // One libvips thread per image: images are decoded side by side on libuv's pool instead, which keeps the
  // cores free for onnxruntime's threads. (sharp's own default is 1 on glibc without jemalloc, cores elsewhere.)
  sharp.concurrency(1);
  // No libvips operation cache: every reply and every indexed image is new input, so it holds memory (about 36
  // MiB after 200 contact sheets, bench/memory.md) for hits that do not come.
  sharp.cache(false);
  return createEmbedder({
    modelDir: dir,
    textModelDir: textDir,
    precision,
    threads: config.LOOKALIKE_THREADS,
    limits: { maxBytes: config.LOOKALIKE_MAX_IMAGE_BYTES, maxPixels: config.LOOKALIKE_MAX_IMAGE_PIXELS },
    batchSize: config.LOOKALIKE_BATCH_SIZE,
    ...(config.LOOKALIKE_VISION_IDLE_SECONDS > 0 && {
      visionIdleMs: config.LOOKALIKE_VISION_IDLE_SECONDS * 1000,
    }),
    ...use,
  });
}

/** `<name>@<precision>`, optionally `+text:<name>@<precision>`: what an embedder's modelId looks like. */
const modelIdPattern = /^([^@+]+)@(fp32|fp16|quantized)(?:\+text:([^@+]+)@(fp32|fp16|quantized))?$/;

/**
 * The model an index was stamped with (`modelId`), when it is in the model cache (`<LOOKALIKE_CACHE_DIR>/models/
 * <name>`, where `lookalike models fetch` puts catalog models): a bot configured with a new model serves the
 * index with this one until a model switch moves the index to the new one. Undefined when it is not there, or
 * the folder there makes another model id.
 */
export async function openStampedEmbedder(config: Config, modelId: string): Promise<Embedder | undefined> {
  const [, name, precision, textName, textPrecision] = modelIdPattern.exec(modelId) ?? [];
  if (!name || (textName && textPrecision !== precision)) return undefined;
  const cached = (id: string) => path.join(config.LOOKALIKE_CACHE_DIR, 'models', path.basename(id));
  const dir = cached(name);
  const textDir = textName ? cached(textName) : undefined;
  if (!existsSync(dir) || (textDir && !existsSync(textDir))) return undefined;
  const embedder = await openAt(config, dir, textDir, precision as Precision);
  if (embedder.modelId === modelId) return embedder;
  await embedder.close();
  return undefined;
}
