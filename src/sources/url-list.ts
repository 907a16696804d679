import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { checkImageContent } from '../indexer/image-type.js';
import { InputError } from '../util/errors.js';
import type { ImageSource, SourceItem } from './types.js';

export interface UrlListSourceOptions {
  /** A text file: one http(s) URL per line; blank lines and lines starting with `#` are ignored. */
  listPath: string;
  tenant: string;
  /** Whole download, connection to last byte (LOOKALIKE_DOWNLOAD_TIMEOUT_MS). */
  timeoutMs: number;
  /** LOOKALIKE_MAX_IMAGE_BYTES, enforced while the body streams in. */
  maxBytes: number;
}

export const urlListSourceId = (listPath: string) => `urls:${path.resolve(listPath)}`;

const maxRedirects = 3;
const allowedProtocols = new Set(['http:', 'https:']);

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
    url = new URL(line);
  } catch {
    return refused(line, options.tenant, 'is not a URL');
  }
  if (!allowedProtocols.has(url.protocol)) {
    return refused(
      url.href,
      options.tenant,
      `${url.protocol} URLs are refused: only http and https are downloaded`,
    );
  }
  const segment = url.pathname.split('/').filter(Boolean).at(-1);
  return {
    key: url.href,
    tenant: options.tenant,
    name: segment ? safeDecode(segment) : url.hostname,
    url: url.href,
    bytes: () => downloadImage(url, options),
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

/**
 * Downloads one image: http(s) only (also after a redirect), at most 3 redirects, the whole exchange
 * within the timeout, and never more than maxBytes kept in memory. Every failure is an InputError.
 */
export async function downloadImage(
  url: URL,
  options: { timeoutMs: number; maxBytes: number },
): Promise<Buffer> {
  const input = url.href;
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    let current = url;
    for (let redirects = 0; ; redirects++) {
      const response = await request(current, {
        method: 'GET',
        signal,
        headers: { accept: 'image/*', 'user-agent': 'lookalike-indexer' },
      });
      const { statusCode, headers, body } = response;
      const location = headers.location;
      if (statusCode >= 300 && statusCode < 400 && location !== undefined) {
        await body.dump();
        if (redirects >= maxRedirects) throw new InputError(input, `more than ${maxRedirects} redirects`);
        current = new URL(String(location), current);
        if (!allowedProtocols.has(current.protocol)) {
          throw new InputError(
            input,
            `redirects to a ${current.protocol} URL, which is refused (http and https only)`,
          );
        }
        continue;
      }
      if (statusCode < 200 || statusCode >= 300) {
        await body.dump();
        throw new InputError(input, `the server answered HTTP ${statusCode}`);
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        await body.dump();
        throw new InputError(input, tooLarge(declared, options.maxBytes));
      }
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const chunk of body) {
        received += (chunk as Buffer).length;
        if (received > options.maxBytes) {
          body.destroy();
          throw new InputError(input, tooLarge(received, options.maxBytes, 'at least '));
        }
        chunks.push(chunk as Buffer);
      }
      const bytes = Buffer.concat(chunks, received);
      await checkImageContent(input, bytes, bytes.length, { skipUnlessImageName: false });
      return bytes;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (signal.aborted) throw new InputError(input, `no complete answer within ${options.timeoutMs} ms`);
    const cause =
      (error as { cause?: { code?: string } }).cause?.code ?? (error as NodeJS.ErrnoException).code;
    throw new InputError(input, `download failed: ${cause ?? (error as Error).message}`);
  }
}

const tooLarge = (bytes: number, max: number, prefix = '') =>
  `is ${prefix}${bytes} bytes, more than LOOKALIKE_MAX_IMAGE_BYTES (${max})`;
