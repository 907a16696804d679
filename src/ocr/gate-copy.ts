import { detectorLevels, type DetectorInput } from './detect.js';
import { rgbOnWhite } from './image.js';
import type { RawPixels } from './types.js';

/** Fixed-point weights of the bilinear sampling: 1/128ths, so a weighted sum of bytes stays within 22 bits. */
const one = 128;
const round = (one * one) / 2;
const shift = 14;

/**
 * The cheap test's small copy, in one pass over pixels already decoded (the thumbnail's, at most 256 pixels
 * long): sampled bilinearly to exactly `width` x `height` (grey spread to RGB, transparency on white), written
 * straight into the detector's input layout, and counted for its most common colour at the same time.
 * Bilinear because it shrinks by less than two, where it keeps letters sharper than averaging (on the OCR
 * corpus one more image with text gets through). Integer weights and table lookups instead of floating point
 * per value: this runs on every photo indexed, and costs about a third of the floating-point version.
 * `flat` is the share of pixels in the most common colour (32 levels a channel): screens, slides and
 * documents are mostly flat background, photos almost never are.
 */
export function gateCopy(
  source: RawPixels,
  width: number,
  height: number,
): { input: DetectorInput; flat: number } {
  const rgb = source.channels === 3 ? source.data : rgbOnWhite(source);
  const plane = width * height;
  const planes = new Float32Array(3 * plane);
  const [blueLevel, greenLevel, redLevel] = detectorLevels;
  const counts = new Uint32Array(32 * 32 * 32);
  let most = 0;
  // Where each output column samples the source: byte offsets of its two pixels, and the right one's weight.
  const left = new Int32Array(width);
  const right = new Int32Array(width);
  const across = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(source.width - 1, Math.max(0, ((x + 0.5) * source.width) / width - 0.5));
    const x0 = Math.floor(fx);
    left[x] = x0 * 3;
    right[x] = Math.min(source.width - 1, x0 + 1) * 3;
    across[x] = Math.round((fx - x0) * one);
  }
  const stride = source.width * 3;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(source.height - 1, Math.max(0, ((y + 0.5) * source.height) / height - 0.5));
    const y0 = Math.floor(fy);
    const top = y0 * stride;
    const bottom = Math.min(source.height - 1, y0 + 1) * stride;
    const down = Math.round((fy - y0) * one);
    const up = one - down;
    for (let x = 0, o = y * width; x < width; x++, o++) {
      const wr = across[x] as number;
      const wl = one - wr;
      const tl = top + (left[x] as number);
      const tr = top + (right[x] as number);
      const bl = bottom + (left[x] as number);
      const br = bottom + (right[x] as number);
      // Written out per channel: a helper closure here costs twenty times as much.
      const red =
        (((rgb[tl] as number) * wl + (rgb[tr] as number) * wr) * up +
          ((rgb[bl] as number) * wl + (rgb[br] as number) * wr) * down +
          round) >>
        shift;
      const green =
        (((rgb[tl + 1] as number) * wl + (rgb[tr + 1] as number) * wr) * up +
          ((rgb[bl + 1] as number) * wl + (rgb[br + 1] as number) * wr) * down +
          round) >>
        shift;
      const blue =
        (((rgb[tl + 2] as number) * wl + (rgb[tr + 2] as number) * wr) * up +
          ((rgb[bl + 2] as number) * wl + (rgb[br + 2] as number) * wr) * down +
          round) >>
        shift;
      planes[o] = blueLevel[blue] as number;
      planes[plane + o] = greenLevel[green] as number;
      planes[2 * plane + o] = redLevel[red] as number;
      const bin = ((red >> 3) << 10) | ((green >> 3) << 5) | (blue >> 3);
      const n = (counts[bin] as number) + 1;
      counts[bin] = n;
      if (n > most) most = n;
    }
  }
  return { input: { planes, width, height }, flat: most / plane };
}
