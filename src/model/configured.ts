import type { Config } from '../config/schema.js';
import { catalogDirs, catalogModel, type CatalogModel } from './catalog.js';

/**
 * The model folders the configuration points at: LOOKALIKE_MODEL_DIR (+ LOOKALIKE_TEXT_MODEL_DIR) when set, else
 * the cache folders of the catalog model LOOKALIKE_MODEL.
 */
export function configuredModel(config: Config): { model?: CatalogModel; dir: string; textDir?: string } {
  if (config.LOOKALIKE_MODEL_DIR) {
    return {
      dir: config.LOOKALIKE_MODEL_DIR,
      ...(config.LOOKALIKE_TEXT_MODEL_DIR && { textDir: config.LOOKALIKE_TEXT_MODEL_DIR }),
    };
  }
  const model = catalogModel(config.LOOKALIKE_MODEL);
  const dirs = catalogDirs(model, config.LOOKALIKE_CACHE_DIR);
  const textDir = config.LOOKALIKE_TEXT_MODEL_DIR ?? dirs.textDir;
  return { model, dir: dirs.dir, ...(textDir && { textDir }) };
}
