import ort from 'onnxruntime-node';
import type { InferenceThread } from '../model/inference-thread.js';
import { findTextBoxes, scaleBox, type BoxSettings } from './boxes.js';
import { resizeForDetector } from './image.js';
import type { RgbImage, TextBox } from './types.js';

// ImageNet statistics, in the B, G, R order the detector was trained on (PaddleOCR reads images with cv2).
const mean = [0.406, 0.456, 0.485];
const std = [0.225, 0.224, 0.229];

/**
 * The detector's input value of each byte, per input plane (blue, green, red): a table lookup instead of a
 * division and a subtraction per value.
 */
export const detectorLevels: readonly [Float32Array, Float32Array, Float32Array] = [0, 1, 2].map((c) =>
  Float32Array.from({ length: 256 }, (_, v) => (v / 255 - (mean[c] as number)) / (std[c] as number)),
) as [Float32Array, Float32Array, Float32Array];

/** An image in the detector's input layout: three planes (B, G, R) of normalised values, sides multiples of 32. */
export interface DetectorInput {
  planes: Float32Array;
  width: number;
  height: number;
}

/** Runs the DB detector on the image scaled to `side` and returns its text boxes in the image's pixels. */
export async function detectText(
  detector: InferenceThread,
  image: RgbImage,
  side: number,
  settings?: BoxSettings,
): Promise<TextBox[]> {
  const input = await resizeForDetector(image, side);
  const boxes = await detectSized(detector, input, settings);
  return boxes.map((box) => scaleBox(box, image.width / input.width, image.height / input.height));
}

/** Runs the DB detector on an image whose sides are multiples of 32; boxes in its pixels. */
export function detectSized(
  detector: InferenceThread,
  input: RgbImage,
  settings?: BoxSettings,
): Promise<TextBox[]> {
  const { width, height } = input;
  const plane = width * height;
  const planes = new Float32Array(3 * plane);
  const [blue, green, red] = detectorLevels;
  for (let i = 0, o = 0; o < plane; i += 3, o++) {
    planes[o] = blue[input.data[i + 2] as number] as number;
    planes[plane + o] = green[input.data[i + 1] as number] as number;
    planes[2 * plane + o] = red[input.data[i] as number] as number;
  }
  return detectPlanes(detector, { planes, width, height }, settings);
}

/** Runs the DB detector on input already in its layout; boxes in its pixels. The planes move to the detector's thread. */
export async function detectPlanes(
  detector: InferenceThread,
  input: DetectorInput,
  settings?: BoxSettings,
): Promise<TextBox[]> {
  const { planes, width, height } = input;
  const outputName = detector.outputNames[0] as string;
  const inputName = detector.inputMetadata[0]?.name as string;
  const result = await detector.run(
    { [inputName]: new ort.Tensor('float32', planes, [1, 3, height, width]) },
    [outputName],
  );
  const map = result[outputName] as ort.Tensor;
  return findTextBoxes({ data: map.data as Float32Array, width, height }, settings);
}
