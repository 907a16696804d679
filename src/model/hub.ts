import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { request } from 'undici';
import { ServiceError } from '../util/errors.js';

/** A file of a hub repository; `sha256` when known beforehand (a manifest), else taken from the hub. */
export interface HubFile {
  path: string;
  optional?: boolean;
  sha256?: string;
}

export interface FetchProgress {
  file: string;
  received: number;
  total: number | undefined;
}

export interface FetchOptions {
  /** e.g. https://huggingface.co; files come from `<hubUrl>/<repo>/resolve/main/<path>`. */
  hubUrl: string;
  repo: string;
  files: HubFile[];
  dest: string;
  onProgress?: (progress: FetchProgress) => void;
  /** Connection drops tolerated per file; each retry resumes from the bytes already on disk. */
  retries?: number;
}

/** What the hub says about a file: LFS files carry their sha256 (X-Linked-ETag), others their git blob sha1. */
interface Remote {
  response: Awaited<ReturnType<typeof request>>;
  sha256?: string;
  gitSha1?: string;
  size?: number;
}

const hubError = (message: string, cause?: unknown) => new ServiceError('model hub', message, { cause });
const hexOf = (etag: string | string[] | undefined, length: number) => {
  const value = (Array.isArray(etag) ? etag[0] : etag)?.replace(/^W\//, '').replace(/"/g, '');
  return value && new RegExp(`^[0-9a-f]{${length}}$`).test(value) ? value : undefined;
};
const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * Downloads each missing file into `dest` through a `.part` file: an interrupted transfer resumes with an HTTP
 * Range request (now or on the next run), and a file only gets its final name once its checksum matched.
 * Files already present under their final name are kept.
 */
export async function fetchHubFiles(options: FetchOptions): Promise<string[]> {
  const fetched: string[] = [];
  for (const file of options.files) {
    const target = path.join(options.dest, file.path);
    if (await exists(target)) continue;
    await mkdir(path.dirname(target), { recursive: true });
    const url = `${options.hubUrl.replace(/\/+$/, '')}/${options.repo}/resolve/main/${file.path}`;
    if (await fetchFile(url, target, file, options)) fetched.push(file.path);
  }
  return fetched;
}

/** Fetches one file; false when it is optional and the hub does not have it. */
async function fetchFile(
  url: string,
  target: string,
  file: HubFile,
  options: FetchOptions,
): Promise<boolean> {
  const part = `${target}.part`;
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const offset = (await exists(part)) ? (await stat(part)).size : 0;
    const remote = await open(url, offset);
    const { statusCode } = remote.response;
    if (statusCode === 404 && file.optional) {
      await remote.response.body.dump();
      return false;
    }
    let complete: boolean;
    if (statusCode === 416 && offset > 0) {
      // Nothing left to send: the part file already holds the whole file (or is longer: the checksum decides).
      await remote.response.body.dump();
      complete = true;
    } else if (statusCode === 200 || statusCode === 206) {
      complete = await receive(remote, part, statusCode === 206 ? offset : 0, file.path, options.onProgress);
    } else {
      await remote.response.body.dump();
      throw hubError(`${url}: HTTP ${statusCode}`);
    }
    if (complete) {
      await verify(part, file, remote, url);
      await rename(part, target);
      return true;
    }
    if (attempt >= retries) {
      throw hubError(`${url}: the connection kept dropping; ${part} is kept and the next run resumes it`);
    }
  }
}

/** GET with a Range from `offset`, following redirects by hand so the hub's checksum headers are seen. */
async function open(url: string, offset: number): Promise<Remote> {
  const remote: Omit<Remote, 'response'> = {};
  let location = url;
  for (let hop = 0; hop < 5; hop++) {
    let response;
    try {
      response = await request(location, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {} });
    } catch (error) {
      throw hubError(`${location}: ${(error as Error).message}`, error);
    }
    const { headers } = response;
    remote.sha256 ??= hexOf(headers['x-linked-etag'], 64);
    const size = Number(header(headers['x-linked-size']));
    if (remote.size === undefined && Number.isSafeInteger(size) && size >= 0) remote.size = size;
    if (response.statusCode >= 300 && response.statusCode < 400 && headers.location) {
      await response.body.dump();
      location = new URL(header(headers.location) as string, location).href;
      continue;
    }
    // The final answer: an LFS file's ETag is its sha256, any other file's is its git blob sha1.
    remote.sha256 ??= hexOf(headers.etag, 64);
    remote.gitSha1 = hexOf(headers.etag, 40);
    return { ...remote, response };
  }
  throw hubError(`${url}: too many redirects`);
}

/** Streams the body into the part file; true when the file is complete, false when the transfer broke off. */
async function receive(
  remote: Remote,
  part: string,
  offset: number,
  name: string,
  onProgress: FetchOptions['onProgress'],
): Promise<boolean> {
  const { headers, body } = remote.response;
  const range = /\/(\d+)$/.exec(header(headers['content-range']) ?? '');
  const length = Number(header(headers['content-length']));
  const total = range ? Number(range[1]) : Number.isSafeInteger(length) ? offset + length : remote.size;
  let received = offset;
  onProgress?.({ file: name, received, total });
  const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
  let broken = false;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      received += chunk.length;
      onProgress?.({ file: name, received, total });
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } catch {
    broken = true; // keep what arrived: the caller resumes from the part file's size
  } finally {
    await finished(out.end());
  }
  return !broken && (total === undefined || received >= total);
}

/** Checks the finished part file against the manifest's sha256, else the hub's; a mismatch deletes it. */
async function verify(part: string, file: HubFile, remote: Remote, url: string): Promise<void> {
  const expected = file.sha256?.toLowerCase() ?? remote.sha256;
  const size = (await stat(part)).size;
  const sums = await digest(part, remote.gitSha1 && !expected ? size : undefined);
  const [kind, want, got] = expected
    ? ['sha256', expected, sums.sha256]
    : ['git sha1', remote.gitSha1, sums.gitSha1];
  if (want === undefined || want === got) return;
  await rm(part, { force: true });
  throw hubError(`${url}: ${kind} mismatch (expected ${want}, got ${got}); the download was deleted`);
}

async function digest(file: string, gitBlobSize?: number): Promise<{ sha256: string; gitSha1?: string }> {
  const sha256 = createHash('sha256');
  const sha1 = gitBlobSize === undefined ? undefined : createHash('sha1').update(`blob ${gitBlobSize}\0`);
  for await (const chunk of createReadStream(file)) {
    sha256.update(chunk as Buffer);
    sha1?.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), gitSha1: sha1?.digest('hex') };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
