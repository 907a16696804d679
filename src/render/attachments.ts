import path from 'node:path';
import type { FileAttachment } from './reply.js';

/**
 * A stored thumbnail (WebP, made at index time by src/indexer/thumbnail.ts) as a chat attachment named after
 * the image. Every chat client shows WebP inline. Undefined when it does not fit the upload limit (a
 * thumbnail is tens of KB, so only a platform with an absurdly small limit leaves it out).
 */
export function thumbnailAttachment(
  bytes: Buffer,
  name: string,
  maxBytes: number,
): FileAttachment | undefined {
  if (bytes.length > maxBytes) return undefined;
  return { name: `${path.parse(name).name || 'image'}.webp`, contentType: 'image/webp', bytes };
}
