import { compact } from '../../ocr/words.js';
import type { ImageDocument, ImageMeta } from '../types.js';
import { vectorField } from './mapping.js';

export type VectorEncoding = 'base64' | 'array';

/** Big-endian float32 bytes in base64: the compact form newer servers accept (exact, 4 bytes a value). */
function base64Vector(vector: Float32Array): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatBE(vector[i] as number, i * 4);
  return bytes.toString('base64');
}

/** The `_source` sent for one document. */
export function toSource(doc: ImageDocument, encoding: VectorEncoding): Record<string, unknown> {
  const vector = doc[vectorField];
  return {
    ...doc,
    ...(doc.text !== undefined && { text_compact: compact(doc.text) }),
    [vectorField]: encoding === 'base64' ? base64Vector(vector) : Array.from(vector),
  };
}

/** The fields a text update writes (the search form beside the text, as toSource does). */
export const textSource = (text: string, confidence: number, by: string) => ({
  text,
  text_compact: compact(text),
  text_confidence: confidence,
  text_by: by,
});

/** Metadata from a `_source` fetched without the vector. */
export function metaFromSource(source: unknown): ImageMeta {
  const meta: Partial<ImageDocument> & { text_compact?: string } = { ...(source as ImageDocument) };
  delete meta[vectorField];
  delete meta.text_compact;
  delete (meta as Record<string, unknown>).thumbnail;
  delete (meta as Record<string, unknown>).thumbnail_sha256;
  return meta as ImageMeta;
}

/** A stored vector as the server returns it: a float array, or the base64 form it was sent in. */
export function vectorFromSource(value: unknown): Float32Array | undefined {
  if (Array.isArray(value)) return Float32Array.from(value as number[]);
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.from(value, 'base64');
  const vector = new Float32Array(bytes.length / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = bytes.readFloatBE(i * 4);
  return vector;
}
