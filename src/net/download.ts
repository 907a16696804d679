import { request, type Dispatcher } from 'undici';
import type { Config } from '../config/schema.js';
import { InputError } from '../util/errors.js';
import { mib } from '../util/size.js';
import { internalAddressRefusal } from './addresses.js';
import { httpAgent } from './http-agent.js';

/** Which URLs a download may request: asked before the first request and before every redirect is followed. */
export interface HostPolicy {
  allows(url: URL): boolean;
  /** Why `url` is refused (the reason of the InputError). */
  refusal(url: URL): string;
}

/** What every download from the configured bot shares: its limits and its connection pool. */
export interface DownloadSettings {
  /** Bytes kept at the most: a larger declared length is refused at once, a longer body while it streams. */
  maxBytes: number;
  /** The whole exchange, redirects included, from connecting to the last byte. */
  timeoutMs: number;
  /** The connection pool: always given, so no request depends on undici's process-wide default (see httpAgent). */
  dispatcher: Dispatcher;
  /**
   * Hosts that may be fetched although they are (or resolve to) loopback, private, link-local or metadata
   * addresses (LOOKALIKE_ALLOWED_PRIVATE_HOSTS); every other such address is refused. None when unset.
   */
  allowedPrivateHosts?: readonly string[];
}

/** LOOKALIKE_MAX_IMAGE_BYTES, LOOKALIKE_DOWNLOAD_TIMEOUT_MS, the proxy settings and private hosts, for `download`. */
export const downloadSettings = (config: Config): DownloadSettings => ({
  maxBytes: config.LOOKALIKE_MAX_IMAGE_BYTES,
  timeoutMs: config.LOOKALIKE_DOWNLOAD_TIMEOUT_MS,
  dispatcher: httpAgent(config),
  allowedPrivateHosts: config.LOOKALIKE_ALLOWED_PRIVATE_HOSTS,
});

export interface DownloadOptions extends DownloadSettings {
  hosts: HostPolicy;
  /** Sent with every request; requests go only to URLs the host policy allows, so these never leave it. */
  headers?: Record<string, string>;
  /** Ends the download early (reported like the timeout). */
  signal?: AbortSignal;
  /** What errors call the download; default the address. */
  name?: string;
}

export interface Downloaded {
  bytes: Buffer;
  contentType: string | undefined;
}

const maxRedirects = 3;

/**
 * Downloads one http(s) URL the host policy allows, following at most three redirects by hand (each
 * target checked before it is requested, its resolved address too: see `internalAddressRefusal`), within a
 * byte cap and a time limit. Every refusal or failure is
 * an InputError naming the download.
 */
export async function download(address: string | URL, options: DownloadOptions): Promise<Downloaded> {
  const name = options.name ?? String(address);
  const refuse = (reason: string) => new InputError(name, reason);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const policy = { allowedPrivateHosts: options.allowedPrivateHosts ?? [] };
    const check = async (target: string) => {
      const url = permitted(target, options.hosts, refuse);
      const internal = await untilAborted(internalAddressRefusal(url, policy), signal);
      if (internal) throw refuse(internal);
      return url;
    };
    let url = await check(String(address));
    for (let redirects = 0; ; redirects++) {
      const { statusCode, headers, body } = await request(url, {
        method: 'GET',
        signal,
        dispatcher: options.dispatcher,
        // A copy per request: undici's ProxyAgent writes the Host header into the object it is given, which
        // would send a redirect's request with the first host's name.
        ...(options.headers && { headers: { ...options.headers } }),
      });
      const location = headers.location;
      if (statusCode >= 300 && statusCode < 400 && location !== undefined) {
        await body.dump();
        if (redirects >= maxRedirects) throw refuse(`more than ${maxRedirects} redirects`);
        url = await check(resolve(String(location), url));
        continue;
      }
      if (statusCode < 200 || statusCode >= 300) {
        await body.dump();
        throw refuse(`the server answered HTTP ${statusCode}`);
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        discard(body);
        throw refuse(`it is ${mib(declared)}; the limit is ${mib(options.maxBytes)}`);
      }
      const bytes = await readCapped(body, options.maxBytes, refuse);
      const contentType = headers['content-type'];
      return { bytes, contentType: Array.isArray(contentType) ? contentType[0] : contentType };
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (signal.aborted) throw refuse(`no complete answer within ${options.timeoutMs} ms`);
    const cause = error as { code?: string; message?: string; cause?: { code?: string } };
    throw refuse(`download failed: ${cause.cause?.code ?? cause.code ?? cause.message ?? String(error)}`);
  }
}

/** The URL when it is http(s) and the policy allows it; otherwise the refusal. */
function permitted(address: string, hosts: HostPolicy, refuse: (reason: string) => InputError): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw refuse(`the link ${JSON.stringify(address)} is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw refuse(`${url.protocol} URLs are refused: only http and https links are fetched`);
  }
  if (!hosts.allows(url)) throw refuse(hosts.refusal(url));
  return url;
}

/** `work`, or the signal's abort (a name lookup counts against the download's time limit too). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A redirect's Location against the URL that sent it (left as it is when it cannot be resolved). */
function resolve(location: string, base: URL): string {
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

type Body = Dispatcher.ResponseData['body'];

/** Drops a response body without reading it (destroying emits an error nobody needs to hear). */
function discard(body: Body): void {
  body.on('error', () => undefined);
  body.destroy();
}

async function readCapped(
  body: Body,
  maxBytes: number,
  refuse: (reason: string) => InputError,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      discard(body);
      throw refuse(`it is larger than the ${mib(maxBytes)} limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}
