import { existsSync } from 'node:fs';
import sharp from 'sharp';
import type { Config } from '../config/schema.js';
import { configuredModel } from './configured.js';
import { ServiceError } from '../util/errors.js';
import { createEmbedder } from './embedder.js';
import type { Embedder } from './types.js';

export { createEmbedder, type EmbedderOptions } from './embedder.js';

/**
 * The embedder the configuration asks for: LOOKALIKE_MODEL_DIR (or the fetched catalog model LOOKALIKE_MODEL),
 * optionally LOOKALIKE_TEXT_MODEL_DIR for the text side, at LOOKALIKE_PRECISION with LOOKALIKE_THREADS threads.
 */
export async function openEmbedder(config: Config): Promise<Embedder> {
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
  // One libvips thread per image: images are decoded side by side on libuv's pool instead, which keeps the
  // cores free for onnxruntime's threads. (sharp's own default is 1 on glibc without jemalloc, cores elsewhere.)
  sharp.concurrency(1);
  return createEmbedder({
    modelDir: dir,
    textModelDir: textDir,
    precision: config.LOOKALIKE_PRECISION,
    threads: config.LOOKALIKE_THREADS,
    limits: { maxBytes: config.LOOKALIKE_MAX_IMAGE_BYTES, maxPixels: config.LOOKALIKE_MAX_IMAGE_PIXELS },
    batchSize: config.LOOKALIKE_BATCH_SIZE,
  });
}
