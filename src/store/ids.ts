import { createHash } from 'node:crypto';

/**
 * The stable image_id of an item: the same source and key (relative path, URL, `<message>/<attachment>`)
 * give the same id on every run and machine, so re-indexing overwrites instead of duplicating.
 */
export function imageId(source: string, key: string): string {
  return createHash('sha256').update(source).update('\0').update(key).digest('hex').slice(0, 32);
}
