import type { Config } from '../config/schema.js';
import { OcrEngine } from './engine.js';

export { OcrEngine } from './engine.js';
export type { OcrResult } from './types.js';

/** The OCR that indexing uses, or undefined when LOOKALIKE_OCR=false. */
export async function openTextReader(config: Config): Promise<OcrEngine | undefined> {
  if (!config.LOOKALIKE_OCR) return undefined;
  return OcrEngine.open({ threads: config.LOOKALIKE_THREADS, maxPixels: config.LOOKALIKE_MAX_IMAGE_PIXELS });
}
