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

/** Grey, grey and alpha, or RGBA pixels as RGB, transparency composited on white. */
export function rgbOnWhite(source: RawPixels): Uint8Array {
  const { data, channels } = source;
  const alpha = channels === 2 || channels === 4;
  const count = source.width * source.height;
  const rgb = new Uint8Array(count * 3);
  for (let p = 0; p < count; p++) {
    const i = p * channels;
    const a = alpha ? (data[i + channels - 1] as number) / 255 : 1;
    for (let c = 0; c < 3; c++) {
      const v = data[channels < 3 ? i : i + c] as number;
      rgb[p * 3 + c] = Math.round(v * a + 255 * (1 - a));
    }
  }
  return rgb;
}
