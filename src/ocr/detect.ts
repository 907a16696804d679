import ort from 'onnxruntime-node';
import type { InferenceThread } from '../model/inference-thread.js';
import { findTextBoxes, scaleBox, type BoxSettings } from './boxes.js';
import { resizeForDetector } from './image.js';
import type { RgbImage, TextBox } from './types.js';

// ImageNet statistics, in the B, G, R order the detector was trained on (PaddleOCR reads images with cv2).
const mean = [0.406, 0.456, 0.485];
const std = [0.225, 0.224, 0.229];

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
export async function detectSized(
  detector: InferenceThread,
  input: RgbImage,
  settings?: BoxSettings,
): Promise<TextBox[]> {
  const { width, height } = input;
  const plane = width * height;
  const pixels = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const value = (input.data[i * 3 + (2 - c)] as number) / 255;
      pixels[c * plane + i] = (value - (mean[c] as number)) / (std[c] as number);
    }
  }
  const outputName = detector.outputNames[0] as string;
  const inputName = detector.inputMetadata[0]?.name as string;
  const result = await detector.run(
    { [inputName]: new ort.Tensor('float32', pixels, [1, 3, height, width]) },
    [outputName],
  );
  const map = result[outputName] as ort.Tensor;
  return findTextBoxes({ data: map.data as Float32Array, width, height }, settings);
}
