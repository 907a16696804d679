import sharp from 'sharp';
import { InputError } from '../util/errors.js';
import type { RawPixels, RgbImage } from './types.js';

/**
 * Decodes an image upright (EXIF), on white where it is transparent, in sRGB, no larger than `maxSide` on
 * its long side: a huge image is read at a reduced size instead of filling memory, and a small `maxSide`
 * costs little (JPEG and WebP are shrunk while they are decoded).
 */
export async function decodeForOcr(
  name: string,
  bytes: Buffer,
  limits: { maxSide: number; maxPixels: number },
): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: limits.maxPixels })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize({ width: limits.maxSide, height: limits.maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw new InputError(name, `cannot be read for text: ${(error as Error).message}`);
  }
}

/** The detector's input size: long side at most `maxSide`, each side a multiple of 32 (its stride). */
export function detectorSize(
  width: number,
  height: number,
  maxSide: number,
): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return {
    width: Math.max(32, Math.round((width * scale) / 32) * 32),
    height: Math.max(32, Math.round((height * scale) / 32) * 32),
  };
}

/** The image scaled so its long side is at most `maxSide`, each side a multiple of 32 (the detector's stride). */
export async function resizeForDetector(image: RgbImage, maxSide: number): Promise<RgbImage> {
  const { width, height } = detectorSize(image.width, image.height, maxSide);
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * Pixels already decoded (e.g. for the thumbnail) as a small RGB copy of exactly `width` x `height`: each
 * output pixel the mean of the source pixels its area covers, grey spread to RGB, transparency on white. In
 * plain JavaScript because the copy is small: a second sharp job would cost more in overhead than it does.
 */
export function shrinkPixels(source: RawPixels, width: number, height: number): RgbImage {
  const { data, channels } = source;
  const grey = channels < 3;
  const alpha = channels === 2 || channels === 4;
  const out = new Uint8Array(width * height * 3);
  const sum = [0, 0, 0];
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * source.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * source.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * source.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * source.width) / width));
      sum[0] = sum[1] = sum[2] = 0;
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          const i = (sy * source.width + sx) * channels;
          const a = alpha ? (data[i + channels - 1] as number) / 255 : 1;
          for (let c = 0; c < 3; c++) {
            const v = data[grey ? i : i + c] as number;
            sum[c] = (sum[c] as number) + v * a + 255 * (1 - a);
          }
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round((sum[c] as number) / n);
    }
  }
  return { data: out, width, height };
}

/**
 * The share of pixels in the most common colour (32 levels a channel): screens, slides and documents are
 * mostly flat background, photos almost never are.
 */
export function flatShare(image: RgbImage): number {
  const counts = new Uint32Array(32 * 32 * 32);
  let most = 0;
  for (let i = 0; i < image.data.length; i += 3) {
    const bin =
      ((image.data[i] as number) >> 3) * 1024 +
      ((image.data[i + 1] as number) >> 3) * 32 +
      ((image.data[i + 2] as number) >> 3);
    const n = (counts[bin] as number) + 1;
    counts[bin] = n;
    if (n > most) most = n;
  }
  return most / (image.width * image.height);
}
