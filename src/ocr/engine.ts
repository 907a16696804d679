import { sessionOptions } from '../model/tower.js';
import { InferenceThread } from '../model/inference-thread.js';
import { ServiceError } from '../util/errors.js';
import { detectPlanes, detectText } from './detect.js';
import { gateCopy } from './gate-copy.js';
import { decodeForOcr, detectorSize } from './image.js';
import { defaultModelFiles, loadCharset, type OcrModelFiles } from './models.js';
import { recogniseLines } from './recognise.js';
import type { GateVerdict, OcrLine, OcrResult, RawPixels, TextBox } from './types.js';

export interface OcrSettings {
  /** Long side of the small copy that decides whether an image is read at all (see gate). */
  gateSide: number;
  /**
   * Long side an image is decoded at for the cheap test when no decoded copy is given: the thumbnail's
   * (src/indexer/thumbnail.ts), so the test sees the same pixels whichever way it is called.
   */
  gateSourceSide: number;
  /** A small copy with at least this share of one flat colour looks like a screen or a slide. */
  flatShare: number;
  /** Long side the detector reads at (PaddleOCR's det_limit_side_len). */
  detectSide: number;
  /** Larger images are decoded at this long side before anything else. */
  maxSide: number;
  maxPixels: number;
  /** Lines read with less mean confidence are dropped as noise (PaddleOCR's drop_score). */
  minConfidence: number;
  /** Intra-op threads of the classifier and recogniser. */
  threads: number;
  /**
   * Intra-op threads of the detector, which the cheap test and reading share. One: on the test's small input
   * a second thread costs more CPU in wake-ups than it saves (about 12 -> 10 ms a photo, bench/ocr-photos.md),
   * and the test runs on every photo indexed while CLIP keeps both cores busy. Reading a 960-pixel copy with
   * one thread takes about 115 ms instead of 83 (of some 1.7 s per image with text) for less CPU, and a
   * second detector session just for the test would add about 78 MB of memory.
   */
  detectorThreads: number;
}

export const defaultOcrSettings: OcrSettings = {
  gateSide: 224,
  gateSourceSide: 256,
  flatShare: 0.3,
  detectSide: 960,
  maxSide: 2048,
  maxPixels: 268_402_689,
  minConfidence: 0.5,
  threads: 2,
  detectorThreads: 1,
};

/** Reads the text in images: PP-OCRv4 detection, line classification and recognition, each on its own thread. */
export class OcrEngine {
  private constructor(
    readonly modelId: string,
    private readonly graphs: {
      detector: InferenceThread;
      classifier: InferenceThread;
      recogniser: InferenceThread;
    },
    private readonly charset: string[],
    private readonly settings: OcrSettings,
  ) {}

  static async open(
    settings: Partial<OcrSettings> = {},
    files: OcrModelFiles = defaultModelFiles(),
  ): Promise<OcrEngine> {
    const full = { ...defaultOcrSettings, ...settings };
    const open = async (file: string, threads: number) => {
      try {
        return await InferenceThread.open(file, sessionOptions(threads));
      } catch (error) {
        throw new ServiceError(
          'ocr',
          `${file}: cannot be loaded by onnxruntime: ${(error as Error).message}`,
        );
      }
    };
    const opened: InferenceThread[] = [];
    try {
      opened.push(await open(files.detector, full.detectorThreads));
      for (const file of [files.classifier, files.recogniser]) opened.push(await open(file, full.threads));
      const [detector, classifier, recogniser] = opened as [
        InferenceThread,
        InferenceThread,
        InferenceThread,
      ];
      const charset = await loadCharset(files.dictionary);
      return new OcrEngine(files.id, { detector, classifier, recogniser }, charset, full);
    } catch (error) {
      await Promise.all(opened.map((thread) => thread.release()));
      throw error;
    }
  }

  /**
   * Whether an image is worth reading, from a small copy made from pixels already decoded (the indexer
   * passes the thumbnail's, so the test costs no decoding of its own): a mostly flat background marks
   * screens and slides, whose small text the small copy blurs, and is enough alone; otherwise a detector
   * pass finds large text (captions, signs, titles).
   */
  async gate(pixels: RawPixels): Promise<GateVerdict> {
    const { width, height } = detectorSize(pixels.width, pixels.height, this.settings.gateSide);
    const { input, flat } = gateCopy(pixels, width, height);
    if (flat >= this.settings.flatShare) return { worth: true, boxes: 0, flat };
    const boxes = (await detectPlanes(this.graphs.detector, input)).length;
    return { worth: boxes > 0, boxes, flat };
  }

  /** The cheap test (see gate) from the encoded bytes. */
  async worthReading(name: string, bytes: Buffer): Promise<GateVerdict> {
    const { gateSourceSide, maxPixels } = this.settings;
    const decoded = await decodeForOcr(name, bytes, { maxSide: gateSourceSide, maxPixels });
    return this.gate({ ...decoded, channels: 3 });
  }

  /** The text of one image; throws InputError when the bytes cannot be decoded. */
  async read(name: string, bytes: Buffer): Promise<OcrResult> {
    const none = { text: '', confidence: 0, lines: [] };
    if (!(await this.worthReading(name, bytes)).worth) return { ...none, gate: 'no-text' };
    const image = await decodeForOcr(name, bytes, this.settings);
    const boxes = await detectText(this.graphs.detector, image, this.settings.detectSide);
    const read = await recogniseLines(this.graphs, image, boxes, this.charset);
    const lines = readingOrder(
      read
        .map(({ box, read }) => ({ box, text: read.text.trim(), confidence: read.confidence }))
        .filter((line) => line.text !== '' && line.confidence >= this.settings.minConfidence),
    );
    const chars = lines.reduce((n, line) => n + line.text.length, 0);
    const confidence = chars === 0 ? 0 : lines.reduce((s, l) => s + l.confidence * l.text.length, 0) / chars;
    const text = lines.map((l) => l.text).join('\n');
    return { text, confidence, lines, gate: 'text', readAt: { width: image.width, height: image.height } };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.graphs).map((thread) => thread.release()));
  }
}

/** Top to bottom, then left to right among lines whose centres are within half a line of each other. */
function readingOrder(lines: OcrLine[]): OcrLine[] {
  const centre = (box: TextBox) => ({
    x: box.origin.x + (box.along.x + box.across.x) / 2,
    y: box.origin.y + (box.along.y + box.across.y) / 2,
    half: Math.hypot(box.across.x, box.across.y) / 2,
  });
  return [...lines].sort((a, b) => {
    const ca = centre(a.box);
    const cb = centre(b.box);
    return Math.abs(ca.y - cb.y) < Math.min(ca.half, cb.half) ? ca.x - cb.x : ca.y - cb.y;
  });
}
