import type { RgbImage, TextBox } from './types.js';

/**
 * Writes the box's region into `out` as a `height` x `width` model input (CHW, channels in the BGR order
 * PaddleOCR's models were trained on, scaled to [-1, 1]), starting at column 0 of a tensor `stride` columns
 * wide; the columns after `width` keep their padding. Bilinear samples, averaged over a small grid when the
 * region is larger than the output so that big captions do not alias.
 */
export function sampleBox(
  image: RgbImage,
  box: TextBox,
  out: Float32Array,
  size: { width: number; height: number; stride: number },
): void {
  const { width, height, stride } = size;
  const plane = height * stride;
  const stepX = Math.hypot(box.along.x, box.along.y) / width;
  const stepY = Math.hypot(box.across.x, box.across.y) / height;
  const gridX = Math.min(4, Math.max(1, Math.round(stepX)));
  const gridY = Math.min(4, Math.max(1, Math.round(stepY)));
  const rgb = [0, 0, 0];
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < gridY; sy++) {
        const fy = (row + (sy + 0.5) / gridY) / height;
        for (let sx = 0; sx < gridX; sx++) {
          const fx = (col + (sx + 0.5) / gridX) / width;
          bilinear(
            image,
            box.origin.x + fx * box.along.x + fy * box.across.x - 0.5,
            box.origin.y + fx * box.along.y + fy * box.across.y - 0.5,
            rgb,
          );
          r += rgb[0] as number;
          g += rgb[1] as number;
          b += rgb[2] as number;
        }
      }
      const n = gridX * gridY * 127.5;
      const at = row * stride + col;
      out[at] = b / n - 1;
      out[plane + at] = g / n - 1;
      out[2 * plane + at] = r / n - 1;
    }
  }
}

/** The colour at a point between pixel centres; outside the image the nearest edge pixel. */
function bilinear(image: RgbImage, x: number, y: number, out: number[]): void {
  const { data, width, height } = image;
  const cx = Math.min(Math.max(x, 0), width - 1);
  const cy = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const ax = cx - x0;
  const ay = cy - y0;
  for (let c = 0; c < 3; c++) {
    const top =
      (data[(y0 * width + x0) * 3 + c] as number) * (1 - ax) +
      (data[(y0 * width + x1) * 3 + c] as number) * ax;
    const bottom =
      (data[(y1 * width + x0) * 3 + c] as number) * (1 - ax) +
      (data[(y1 * width + x1) * 3 + c] as number) * ax;
    out[c] = top * (1 - ay) + bottom * ay;
  }
}
