import ort from 'onnxruntime-node';
import type { InferenceThread } from '../model/inference-thread.js';
import { boxLength, boxThickness, flipBox } from './boxes.js';
import { sampleBox } from './crop.js';
import type { RgbImage, TextBox } from './types.js';

const lineHeight = 48;
/** The recogniser's narrowest input (PaddleOCR pads every batch to at least 320 columns). */
const minColumns = 320;
/** A longer line is squeezed to this width: memory stays bounded and its words stay readable. */
const maxColumns = 48 * 64;
const classifierColumns = 192;
const batchSize = 8;

export interface Recognised {
  text: string;
  confidence: number;
}

/** Reads each box with the line classifier (turning upside-down lines) and then the recogniser. */
export async function recogniseLines(
  graphs: { recogniser: InferenceThread; classifier: InferenceThread },
  image: RgbImage,
  boxes: TextBox[],
  charset: string[],
): Promise<{ box: TextBox; read: Recognised }[]> {
  const upright = await classify(graphs.classifier, image, boxes);
  // Similar widths share a batch, so little of it is padding.
  const order = upright.map((box, i) => ({ box, i, ratio: aspect(box) })).sort((a, b) => a.ratio - b.ratio);
  const results: { box: TextBox; read: Recognised }[] = new Array(boxes.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    const widths = batch.map(({ ratio }) => Math.min(maxColumns, Math.max(8, Math.ceil(lineHeight * ratio))));
    const stride = Math.max(minColumns, ...widths);
    const probabilities = await runBatch(
      graphs.recogniser,
      image,
      batch.map((b) => b.box),
      widths,
      stride,
    );
    const [, steps, classes] = probabilities.dims as [number, number, number];
    const data = probabilities.data as Float32Array;
    batch.forEach(({ box, i }, row) => {
      results[i] = {
        box,
        read: ctcDecode(
          data.subarray(row * steps * classes, (row + 1) * steps * classes),
          steps,
          classes,
          charset,
        ),
      };
    });
  }
  return results;
}

const aspect = (box: TextBox) => boxLength(box) / Math.max(1, boxThickness(box));

/** Turns the boxes the classifier finds upside down (with at least 0.9 certainty, as PaddleOCR does). */
async function classify(classifier: InferenceThread, image: RgbImage, boxes: TextBox[]): Promise<TextBox[]> {
  const turned: TextBox[] = [];
  for (let start = 0; start < boxes.length; start += batchSize) {
    const batch = boxes.slice(start, start + batchSize);
    const widths = batch.map((box) =>
      Math.min(classifierColumns, Math.max(8, Math.ceil(lineHeight * aspect(box)))),
    );
    const output = await runBatch(classifier, image, batch, widths, classifierColumns);
    const data = output.data as Float32Array;
    batch.forEach((box, row) => turned.push((data[row * 2 + 1] as number) > 0.9 ? flipBox(box) : box));
  }
  return turned;
}

async function runBatch(
  graph: InferenceThread,
  image: RgbImage,
  boxes: TextBox[],
  widths: number[],
  stride: number,
): Promise<ort.Tensor> {
  const plane = lineHeight * stride;
  const pixels = new Float32Array(boxes.length * 3 * plane);
  boxes.forEach((box, row) => {
    sampleBox(image, box, pixels.subarray(row * 3 * plane, (row + 1) * 3 * plane), {
      width: widths[row] as number,
      height: lineHeight,
      stride,
    });
  });
  const outputName = graph.outputNames[0] as string;
  const inputName = graph.inputMetadata[0]?.name as string;
  const result = await graph.run(
    { [inputName]: new ort.Tensor('float32', pixels, [boxes.length, 3, lineHeight, stride]) },
    [outputName],
  );
  return result[outputName] as ort.Tensor;
}

/**
 * Greedy CTC: the likeliest class at each step, repeats merged, blanks dropped; confidence is their mean.
 * PP-OCRv4 was trained mostly on Chinese and often lets a blank win over the space between Latin words;
 * a space is put back where the space class reached `spaceEvidence` between two characters.
 */
export function ctcDecode(data: Float32Array, steps: number, classes: number, charset: string[]): Recognised {
  const space = classes - 1;
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = 0;
  let spaceSeen = 0;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -Infinity;
    for (let c = 0; c < classes; c++) {
      const p = data[t * classes + c] as number;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    spaceSeen = Math.max(spaceSeen, data[t * classes + space] as number);
    if (best !== 0 && best !== previous) {
      const char = charset[best] ?? '';
      if (char !== ' ' && spaceSeen >= spaceEvidence && text !== '' && !text.endsWith(' ')) text += ' ';
      text += char;
      sum += bestP;
      kept++;
      spaceSeen = 0;
    }
    previous = best;
  }
  return { text, confidence: kept === 0 ? 0 : sum / kept };
}

/** Measured on the corpus: spaces the model dropped leave 0.3 to 0.5 here, letters of one word under 0.02. */
const spaceEvidence = 0.15;
