import path from 'node:path';
import sharp from 'sharp';
import type { FileAttachment } from './reply.js';

/** Formats every chat client shows inline; anything else is re-encoded. */
const inlineTypes: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** Longest edges tried, largest first, when an image must shrink to fit the budget. */
const thumbnailEdges = [2048, 1280, 800, 512, 320];

/**
 * The image as a chat attachment no larger than `maxBytes`: the original when it fits and displays inline,
 * else a JPEG thumbnail at the largest of a few sizes that fits. Undefined when it cannot be decoded or
 * even the smallest thumbnail is too big.
 */
export async function fitAttachment(
  bytes: Buffer,
  name: string,
  maxBytes: number,
  maxPixels: number,
): Promise<FileAttachment | undefined> {
  try {
    const { format } = await sharp(bytes, { limitInputPixels: maxPixels }).metadata();
    const contentType = format ? inlineTypes[format] : undefined;
    if (contentType && bytes.length <= maxBytes) return { name, contentType, bytes };
    const base = path.parse(name).name || 'image';
    for (const edge of thumbnailEdges) {
      const thumbnail = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
        .rotate()
        .resize(edge, edge, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 82 })
        .toBuffer();
      if (thumbnail.length <= maxBytes)
        return { name: `${base}.jpg`, contentType: 'image/jpeg', bytes: thumbnail };
    }
  } catch {
    // An image that cannot be decoded is left out of the attachments; the contact sheet shows a placeholder.
  }
  return undefined;
}
