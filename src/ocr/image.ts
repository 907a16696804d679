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
  const rgb = source.channels === 3 ? source.data : rgbOnWhite(source);
  const out = new Uint8Array(width * height * 3);
  // Where each output column samples the source (byte offsets of its two pixels, and the right one's weight).
  const left = new Int32Array(width);
  const right = new Int32Array(width);
  const across = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(source.width - 1, Math.max(0, ((x + 0.5) * source.width) / width - 0.5));
    const x0 = Math.floor(fx);
    left[x] = x0 * 3;
    right[x] = Math.min(source.width - 1, x0 + 1) * 3;
    across[x] = fx - x0;
  }
  const stride = source.width * 3;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(source.height - 1, Math.max(0, ((y + 0.5) * source.height) / height - 0.5));
    const y0 = Math.floor(fy);
    const top = y0 * stride;
    const bottom = Math.min(source.height - 1, y0 + 1) * stride;
    const down = fy - y0;
    for (let x = 0; x < width; x++) {
      const l = left[x] as number;
      const r = right[x] as number;
      const wx = across[x] as number;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const t = (rgb[top + l + c] as number) * (1 - wx) + (rgb[top + r + c] as number) * wx;
        const u = (rgb[bottom + l + c] as number) * (1 - wx) + (rgb[bottom + r + c] as number) * wx;
        out[o + c] = Math.round(t * (1 - down) + u * down);
      }
    }
  }
  return { data: out, width, height };
}

/** Grey, grey and alpha, or RGBA pixels as RGB, transparency composited on white. */
function rgbOnWhite(source: RawPixels): Uint8Array {
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
