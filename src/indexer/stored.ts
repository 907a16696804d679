import { imageId } from '../store/ids.js';
import type { ImageMeta, VectorStore } from '../store/types.js';

/** What the index holds for one (tenant, source) slice when a run starts. */
export interface StoredSlice {
  /** Documents by image_id. */
  docs: Map<string, ImageMeta>;
  /** Every key the index holds, as a document's own key or in its other_paths, with that document. */
  holders: Map<string, ImageMeta>;
  /** The own key of each document, where it can be recovered (relative path or URL). */
  keys: Map<string, string>;
  /** Documents by content hash: where the vector of an unchanged, moved or copied image can be read. */
  bySha: Map<string, ImageMeta[]>;
}

/** The key a document was made from: the field whose id matches (folders: relative_path, URL lists: url). */
export function keyOfDocument(source: string, doc: ImageMeta): string | undefined {
  return [doc.relative_path, doc.url, doc.permalink].find(
    (candidate) => candidate !== undefined && imageId(source, candidate) === doc.image_id,
  );
}

/** Reads the slice's metadata (never vectors). `exists: false` (dry run on a store never written) reads nothing. */
export async function loadStoredSlice(
  store: VectorStore,
  slice: { tenant: string; source: string },
  options: { exists: boolean },
): Promise<StoredSlice> {
  const stored: StoredSlice = { docs: new Map(), holders: new Map(), keys: new Map(), bySha: new Map() };
  if (!options.exists) return stored;
  for await (const doc of store.scan(slice.tenant, slice.source)) stored.docs.set(doc.image_id, doc);
  for (const doc of stored.docs.values()) {
    const key = keyOfDocument(slice.source, doc);
    if (key !== undefined) stored.keys.set(doc.image_id, key);
    // A run killed between writing a merged document and deleting the ones it replaced can leave a key in
    // two documents; its own document wins, then the lowest id, so every run reads the same holder.
    for (const held of doc.other_paths ?? []) {
      const current = stored.holders.get(held);
      if (!current || (current.image_id !== imageId(slice.source, held) && doc.image_id < current.image_id)) {
        stored.holders.set(held, doc);
      }
    }
    const same = stored.bySha.get(doc.sha256);
    if (same) same.push(doc);
    else stored.bySha.set(doc.sha256, [doc]);
  }
  for (const [id, key] of stored.keys) stored.holders.set(key, stored.docs.get(id) as ImageMeta);
  return stored;
}
