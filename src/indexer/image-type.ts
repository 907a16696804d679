import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { InputError } from '../util/errors.js';

/** Bytes file-type needs to recognise any format it knows. */
export const sniffBytes = 4100;

/**
 * Not an error: an input the indexer passes over on purpose (a sidecar or video in a photo folder, a
 * symlink leading out of the root). Counted and listed as skipped, never as failed.
 */
export class SkippedInput extends InputError {
  constructor(input: string, reason: string) {
    super(input, reason);
    this.name = 'SkippedInput';
  }
}

const imageExtensions = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.gif', '.webp', '.tif', '.tiff', '.avif',
  '.heic', '.heif', '.bmp', '.svg', '.jxl', '.ico', '.jp2',
]); // prettier-ignore

/** Whether a name claims to be an image (then content that is not one is a failure, not a skip). */
export const hasImageExtension = (name: string) => imageExtensions.has(path.extname(name).toLowerCase());

const looksLikeSvg = (head: Uint8Array) =>
  /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(
    Buffer.from(head.subarray(0, 1024))
      .toString('latin1')
      .replace(/^\uFEFF|^ï»¿/, ''),
  );

/**
 * Why these leading bytes are not a raster image, or undefined when they are one (judged by content,
 * never by the name). Formats the decoder cannot read are left to it: it names them better.
 */
export async function notAnImageReason(head: Uint8Array, totalBytes: number): Promise<string | undefined> {
  if (totalBytes === 0) return 'empty file (0 bytes)';
  const type = await fileTypeFromBuffer(head);
  if (type?.mime.startsWith('image/')) return undefined;
  if (looksLikeSvg(head))
    return 'SVG is vector graphics: only raster images (JPEG, PNG, WebP, GIF, TIFF, AVIF) are indexed';
  return type
    ? `not an image: the content is ${type.mime}`
    : 'not an image: the content is no known image format';
}

/**
 * Throws when `head` is not an image: SkippedInput when the name does not claim to be one either
 * (only when `skipUnlessImageName`), otherwise InputError.
 */
export async function checkImageContent(
  input: string,
  head: Uint8Array,
  totalBytes: number,
  options: { skipUnlessImageName: boolean },
): Promise<void> {
  const reason = await notAnImageReason(head, totalBytes);
  if (reason === undefined) return;
  if (options.skipUnlessImageName && !hasImageExtension(input)) throw new SkippedInput(input, reason);
  throw new InputError(input, reason);
}
