import sharp from 'sharp';
import { InputError } from '../util/errors.js';
import type { RgbImage } from './types.js';

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

/** The image scaled so its long side is at most `maxSide`, each side a multiple of 32 (the detector's stride). */
export async function resizeForDetector(image: RgbImage, maxSide: number): Promise<RgbImage> {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  const width = Math.max(32, Math.round((image.width * scale) / 32) * 32);
  const height = Math.max(32, Math.round((image.height * scale) / 32) * 32);
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
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
