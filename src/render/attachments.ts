import path from 'node:path';
import type { FileAttachment } from './reply.js';

/** A stored thumbnail's format by its first bytes: JPEG now, WebP for thumbnails made before (320 px). */
const formatOf = (bytes: Buffer) =>
  bytes.subarray(8, 12).toString('latin1') === 'WEBP'
    ? { ext: 'webp', contentType: 'image/webp' }
    : { ext: 'jpg', contentType: 'image/jpeg' };

/**
 * A stored thumbnail (made at index time by src/indexer/thumbnail.ts) as a chat attachment named after the
 * image. Undefined when it does not fit the upload limit (a thumbnail is a few KB, so only a platform with an
 * absurdly small limit leaves it out).
 */
export function thumbnailAttachment(
  bytes: Buffer,
  name: string,
  maxBytes: number,
): FileAttachment | undefined {
  if (bytes.length > maxBytes) return undefined;
  const { ext, contentType } = formatOf(bytes);
  return { name: `${path.parse(name).name || 'image'}.${ext}`, contentType, bytes };
}
