import sharp, { type Sharp } from 'sharp';
import { jpegLoadedSize, jpegLoadFactor } from '../model/decode-once.js';
import type { Size } from '../model/geometry.js';
import type { DecodedPixels } from '../model/types.js';
import type { RawPixels } from '../ocr/types.js';
import { InputError } from '../util/errors.js';

/**
 * The preview replies are drawn from: the longest edge at most this many pixels (the contact sheet's tile, so
 * drawing a sheet decodes and never resizes), a baseline JPEG at this quality with trellis quantisation. JPEG
 * rather than WebP because a reply decodes five to ten of them: libvips decodes a 256 px JPEG about 2.5x faster
 * than the same WebP, and trellis keeps it as small as the 320 px WebP was (bench/thumbnails.md). Thumbnails
 * made before (320 px WebP) are still drawn, resized into the tile.
 */
export const thumbnailEdge = 256;
export const thumbnailQuality = 80;
/** Transparent images are drawn on the dark grey chat clients show around images (JPEG has no alpha). */
const background = { r: 32, g: 34, b: 37 };

/** Scales an upright image into the thumbnail's box (never enlarged). */
const fitted = (bytes: Buffer) =>
  // sharp's default pixel limit is only a backstop: a document exists only for an image the model decoded
  // within LOOKALIKE_MAX_IMAGE_PIXELS.
  sharp(bytes, { failOn: 'truncated' })
    .rotate()
    .resize(thumbnailEdge, thumbnailEdge, { fit: 'inside', withoutEnlargement: true });

const encoded = (image: Sharp) =>
  image
    .flatten({ background })
    .jpeg({
      quality: thumbnailQuality,
      trellisQuantisation: true,
      overshootDeringing: true,
      quantisationTable: 3,
    })
    .toBuffer();

/**
 * A JPEG thumbnail of an image, upright (EXIF orientation applied), never enlarged. JPEGs shrink on load, so a
 * 12 MP photo is decoded at an eighth of its size. Throws an InputError naming the input when the image cannot
 * be decoded for the preview.
 */
export async function makeThumbnail(name: string, bytes: Buffer): Promise<Buffer> {
  try {
    return await encoded(fitted(bytes));
  } catch (error) {
    throw new InputError(name, `no thumbnail could be made: ${(error as Error).message}`);
  }
}

/**
 * The same thumbnail (byte for byte) and the pixels it was encoded from (alpha kept): decoded once, the pixels
 * also feed OCR's cheap test (src/ocr/engine.ts gate), which then decodes nothing of its own.
 */
export async function makeThumbnailWithPixels(
  name: string,
  bytes: Buffer,
): Promise<{ thumbnail: Buffer; pixels: RawPixels }> {
  return withPixels(name, fitted(bytes));
}

/**
 * The thumbnail makeThumbnailWithPixels makes of a JPEG whose upright size is `source`, and its pixels, made
 * from `upright`: pixels already decoded from that JPEG (at a smaller size, by the model's preprocessing), so
 * the JPEG is not decoded a second time. Same size as the thumbnail made from the bytes; the pixels differ
 * by the resampling (two steps instead of libjpeg's shrink on load and one).
 */
export async function makeThumbnailFromPixels(
  name: string,
  upright: DecodedPixels,
  source: Size,
): Promise<{ thumbnail: Buffer; pixels: RawPixels }> {
  const { width, height, channels } = upright;
  const size = jpegThumbnailSize(source);
  const raw = sharp(upright.data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  return withPixels(name, raw.resize(size.width, size.height, { fit: 'fill' }));
}

/** Encodes the pixels `fittedImage` gives, keeping them for the caller. */
async function withPixels(
  name: string,
  fittedImage: Sharp,
): Promise<{ thumbnail: Buffer; pixels: RawPixels }> {
  try {
    const { data, info } = await fittedImage.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const pixels = { data, width: info.width, height: info.height, channels: info.channels };
    const thumbnail = await encoded(
      sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }),
    );
    return { thumbnail, pixels };
  } catch (error) {
    throw new InputError(name, `no thumbnail could be made: ${(error as Error).message}`);
  }
}

/**
 * The size `fitted` gives a JPEG of upright size `source`: sharp first lets libjpeg shrink it on load (by the
 * fast rule; libvips rounds the decoded size down), then fits that into the box, each side rounded to the
 * nearest pixel.
 * Checked against makeThumbnail over many sizes (test/indexer/thumbnail-from-pixels.test.ts).
 */
export function jpegThumbnailSize(source: Size): Size {
  const shrink = Math.max(source.width, source.height) / thumbnailEdge;
  if (shrink <= 1) return source;
  const loaded = jpegLoadedSize(source, jpegLoadFactor(shrink, true));
  const rest = Math.max(1, Math.max(loaded.width, loaded.height) / thumbnailEdge);
  return {
    width: Math.max(1, Math.round(loaded.width / rest)),
    height: Math.max(1, Math.round(loaded.height / rest)),
  };
}
