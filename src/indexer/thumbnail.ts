import sharp from 'sharp';
import type { RawPixels } from '../ocr/types.js';
import { InputError } from '../util/errors.js';

/**
 * The preview replies are drawn from: the longest edge at most this many pixels, WebP at this quality.
 * 320 px covers the contact sheet's 256 px tiles and a chat client's inline preview at a few tens of KB
 * (bench/thumbnails.md measures 256 / 320 / 384 px for bytes and time).
 */
export const thumbnailEdge = 320;
export const thumbnailQuality = 75;

/**
 * A WebP thumbnail of an image, upright (EXIF orientation applied), never enlarged. JPEGs shrink on load,
 * so a 12 MP photo is decoded at an eighth of its size. Throws an InputError naming the input when the
 * image cannot be decoded for the preview.
 */
export async function makeThumbnail(name: string, bytes: Buffer): Promise<Buffer> {
  try {
    // sharp's default pixel limit is only a backstop: a document exists only for an image the model decoded
    // within LOOKALIKE_MAX_IMAGE_PIXELS.
    return await sharp(bytes, { failOn: 'truncated' })
      .rotate()
      .resize(thumbnailEdge, thumbnailEdge, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: thumbnailQuality })
      .toBuffer();
  } catch (error) {
    throw new InputError(name, `no thumbnail could be made: ${(error as Error).message}`);
  }
}

/**
 * The same thumbnail (byte for byte) and the pixels it was encoded from: decoded once, the pixels also feed
 * OCR's cheap test (src/ocr/engine.ts gate), which then decodes nothing of its own.
 */
export async function makeThumbnailWithPixels(
  name: string,
  bytes: Buffer,
): Promise<{ thumbnail: Buffer; pixels: RawPixels }> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated' })
      .rotate()
      .resize(thumbnailEdge, thumbnailEdge, { fit: 'inside', withoutEnlargement: true })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const pixels = { data, width: info.width, height: info.height, channels: info.channels };
    const thumbnail = await sharp(data, {
      raw: { width: info.width, height: info.height, channels: info.channels },
    })
      .webp({ quality: thumbnailQuality })
      .toBuffer();
    return { thumbnail, pixels };
  } catch (error) {
    throw new InputError(name, `no thumbnail could be made: ${(error as Error).message}`);
  }
}
