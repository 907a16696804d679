import { request } from 'undici';
import { InputError } from '../util/errors.js';

export interface ImageDownloadLimits {
  /** Host names images may come from; `*.example.com` also allows its subdomains. */
  allowedHosts: string[];
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

const maxRedirects = 3;

/** True when the URL's host is on the list (exactly, or under a `*.` entry). */
export function isAllowedHost(url: URL, allowedHosts: string[]): boolean {
  const host = url.hostname.toLowerCase();
  return allowedHosts.some((entry) => {
    const allowed = entry.toLowerCase();
    return allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed;
  });
}

/**
 * Downloads an image a user pointed at. Only http(s) on an allowed host (checked again on every redirect),
 * within a byte cap and a time limit; every refusal is an InputError naming the URL and the reason.
 */
export async function downloadImage(address: string, limits: ImageDownloadLimits): Promise<Buffer> {
  let url = parseUrl(address);
  const signal = limits.signal
    ? AbortSignal.any([limits.signal, AbortSignal.timeout(limits.timeoutMs)])
    : AbortSignal.timeout(limits.timeoutMs);
  for (let hop = 0; hop <= maxRedirects; hop++) {
    checkHost(url, limits.allowedHosts);
    const response = await request(url, { method: 'GET', signal }).catch((error: unknown) => {
      throw new InputError(address, describeFailure(error, limits.timeoutMs));
    });
    const { statusCode, headers, body } = response;
    if (statusCode >= 300 && statusCode < 400 && typeof headers.location === 'string') {
      await body.dump();
      url = parseUrl(new URL(headers.location, url).href);
      continue;
    }
    if (statusCode !== 200) {
      await body.dump();
      throw new InputError(address, `the server answered HTTP ${statusCode}`);
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      discard(body);
      throw new InputError(address, tooLarge(limits.maxBytes));
    }
    return readCapped(body, address, limits);
  }
  throw new InputError(address, `more than ${maxRedirects} redirects`);
}

type Body = AsyncIterable<Buffer> & NodeJS.EventEmitter & { destroy(): void };

/** Drops a response body without reading it (destroying emits an error nobody needs to hear). */
function discard(body: Body): void {
  body.on('error', () => undefined);
  body.destroy();
}

async function readCapped(body: Body, address: string, limits: ImageDownloadLimits): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > limits.maxBytes) {
        discard(body);
        throw new InputError(address, tooLarge(limits.maxBytes));
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(address, describeFailure(error, limits.timeoutMs));
  }
  return Buffer.concat(chunks);
}

function parseUrl(address: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new InputError(address, 'not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(address, 'only http and https links can be fetched');
  }
  return url;
}

function checkHost(url: URL, allowedHosts: string[]): void {
  if (!isAllowedHost(url, allowedHosts)) {
    const hint =
      allowedHosts.length === 0
        ? 'no hosts are allowed (LOOKALIKE_ALLOWED_IMAGE_HOSTS is empty): attach the image instead'
        : `allowed hosts: ${allowedHosts.join(', ')}`;
    throw new InputError(url.href, `images are not fetched from ${url.hostname}; ${hint}`);
  }
}

function tooLarge(maxBytes: number): string {
  return `the image is larger than the ${(maxBytes / 1024 / 1024).toFixed(1)} MiB limit`;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no complete answer within ${timeoutMs} ms`;
  return `download failed (${error instanceof Error ? error.message : String(error)})`;
}
