import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DownloadSettings } from '../net/download.js';
import type { Hit } from '../store/types.js';
import { downloadImage } from '../search/image-url.js';

export interface HitImageLimits extends DownloadSettings {
  signal?: AbortSignal;
}

const folderPrefix = 'folder:';

/**
 * The bytes of an indexed image, for thumbnails: read from its folder, or fetched again from the URL it was
 * indexed from (same host only, capped). Undefined when it is gone, too large or unreachable: a result never
 * fails because its picture moved.
 */
export async function loadHitImage(hit: Hit, limits: HitImageLimits): Promise<Buffer | undefined> {
  try {
    if (hit.source.startsWith(folderPrefix) && hit.relative_path) {
      const file = path.join(hit.source.slice(folderPrefix.length), hit.relative_path);
      if ((await stat(file)).size > limits.maxBytes) return undefined;
      return await readFile(file);
    }
    if (hit.url) {
      const host = new URL(hit.url).hostname;
      return await downloadImage(hit.url, { ...limits, allowedHosts: [host] });
    }
  } catch {
    return undefined;
  }
  return undefined;
}
