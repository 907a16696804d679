import type { ImageDocument, ImageMeta } from '../../../src/store/types.js';

export const contractDims = 16;
export const contractModel = 'contract-model';

/** A complete, valid document; the fields a test cares about come in `fields`. */
export function makeDoc(
  fields: Partial<ImageDocument> & { image_id: string; image_embedding: Float32Array },
): ImageDocument {
  return {
    image_name: `${fields.image_id}.jpg`,
    source: 'folder:/photos',
    tenant: 'tenant-a',
    sha256: `sha-${fields.image_id}`,
    width: 640,
    height: 480,
    bytes: 12_345,
    indexed_at: '2026-11-29T00:00:00.000Z',
    model_id: contractModel,
    ...fields,
  };
}

export function metaOf(doc: ImageDocument): ImageMeta {
  const meta: Partial<ImageDocument> = { ...doc };
  delete meta.image_embedding;
  return meta as ImageMeta;
}

export function ids(items: { image_id: string }[]): string[] {
  return items.map((item) => item.image_id);
}

export function sortedIds(items: { image_id: string }[]): string[] {
  return ids(items).sort();
}
