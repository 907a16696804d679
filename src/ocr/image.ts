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
 * Pixels already decoded (the thumbnail's, at most 320 pixels long) as a small RGB copy of exactly `width` x
 * `height`, sampled bilinearly: grey spread to RGB, transparency on white. Meant for shrinking by less than
 * two, where bilinear keeps letters sharper than averaging (on the OCR corpus the cheap test then lets one
 * more image with text through) and aliasing stays slight. In plain JavaScript because the copy is small: a
 * second sharp job costs more in overhead.
 */
export function shrinkPixels(source: RawPixels, width: number, height: number): RgbImage {
  const { data, channels } = source;
  const grey = channels < 3;
  const alpha = channels === 2 || channels === 4;
  // Each channel of one source pixel, on white where it is transparent.
  const at = (x: number, y: number, c: number) => {
    const i = (y * source.width + x) * channels;
    const v = data[grey ? i : i + c] as number;
    if (!alpha) return v;
    const a = (data[i + channels - 1] as number) / 255;
    return v * a + 255 * (1 - a);
  };
  const out = new Uint8Array(width * height * 3);
  const scaleX = source.width / width;
  const scaleY = source.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(source.height - 1, Math.max(0, (y + 0.5) * scaleY - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(source.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(source.width - 1, Math.max(0, (x + 0.5) * scaleX - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(source.width - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const top = at(x0, y0, c) * (1 - wx) + at(x1, y0, c) * wx;
        const bottom = at(x0, y1, c) * (1 - wx) + at(x1, y1, c) * wx;
        out[(y * width + x) * 3 + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
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
