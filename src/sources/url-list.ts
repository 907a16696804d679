import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkImageContent } from './image-type.js';
import { download, type DownloadSettings } from '../net/download.js';
import { InputError } from '../util/errors.js';
import { withoutCredentials } from '../util/redact.js';
import type { ImageSource, SourceItem } from './types.js';

export interface UrlListSourceOptions extends DownloadSettings {
  /** A text file: one http(s) URL per line; blank lines and lines starting with `#` are ignored. */
  listPath: string;
  tenant: string;
}

export const urlListSourceId = (listPath: string) => `urls:${path.resolve(listPath)}`;

/** A list names its own hosts: any http(s) host may be fetched (internal addresses aside: see `download`). */
const anyHost = { allows: () => true, refusal: () => '' };
const requestHeaders = { accept: 'image/*', 'user-agent': 'lookalike-indexer' };

/** The images a URL list names, as `urls:<absolute list path>` items keyed by their URL. */
export async function openUrlListSource(options: UrlListSourceOptions): Promise<ImageSource> {
  const listPath = path.resolve(options.listPath);
  const text = await readFile(listPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new InputError(listPath, `cannot read the URL list: ${error.code ?? error.message}`);
  });
  const lines = [...new Set(text.split(/\r?\n/).map((line) => line.trim()))].filter(
    (line) => line !== '' && !line.startsWith('#'),
  );
  return {
    id: urlListSourceId(listPath),
    tenant: options.tenant,
    async *items() {
      const seen = new Set<string>();
      for (const line of lines) {
        const item = urlItem(line, options);
        if (seen.has(item.key)) continue;
        seen.add(item.key);
        yield item;
      }
    },
  };
}

function urlItem(line: string, options: UrlListSourceOptions): SourceItem {
  let url: URL;
  try {
    // A user:password in a listed URL is never stored, shown or reported (nor sent: only the address is).
    url = withoutCredentials(new URL(line));
  } catch {
    return refused(line.replace(/^([^:/]*:\/\/)[^/@]*@/, '$1'), options.tenant, 'is not a URL');
  }
  const segment = url.pathname.split('/').filter(Boolean).at(-1);
  return {
    key: url.href,
    tenant: options.tenant,
    name: segment ? safeDecode(segment) : url.hostname,
    url: url.href,
    bytes: () => downloadListedImage(url, options),
  };
}

function refused(key: string, tenant: string, reason: string): SourceItem {
  return { key, tenant, name: key, bytes: () => Promise.reject(new InputError(key, reason)) };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Downloads one listed image (http and https only: see `download`) and makes sure its content is an image. */
async function downloadListedImage(url: URL, settings: DownloadSettings): Promise<Buffer> {
  const { bytes } = await download(url, {
    maxBytes: settings.maxBytes,
    timeoutMs: settings.timeoutMs,
    dispatcher: settings.dispatcher,
    ...(settings.allowedPrivateHosts && { allowedPrivateHosts: settings.allowedPrivateHosts }),
    hosts: anyHost,
    headers: requestHeaders,
  });
  await checkImageContent(url.href, bytes, { skipUnlessImageName: false });
  return bytes;
}
