import { fileTypeFromBuffer } from 'file-type';
import { request, type Dispatcher } from 'undici';
import { InputError } from '../../src/util/errors.js';

/** A file as Slack describes it in messages, events and `files.info`. */
export interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  /** `check_file_info` when the event left the details out: ask `files.info`. */
  file_access?: string;
}

interface SlackFileLimits {
  maxBytes: number;
  timeoutMs: number;
}

export interface SlackFileFetcherOptions extends SlackFileLimits {
  /** The bot token; sent to Slack's file hosts only. */
  token: string;
  /** The HTTP client's connection pool (tests route Slack's host names to a local server through it). */
  dispatcher?: Dispatcher;
}

const maxRedirects = 3;

/** Slack serves private files from files.slack.com and regional `files-*.slack.com` hosts, over https only. */
export function isSlackFileHost(url: URL): boolean {
  return (
    url.protocol === 'https:' && url.port === '' && /^files(-[a-z0-9]+)*\.slack\.com$/.test(url.hostname)
  );
}

/** The first image among a message's files. */
export function firstImage(files: readonly SlackFile[] | undefined): SlackFile | undefined {
  return files?.find((f) => f.mimetype?.startsWith('image/') ?? f.file_access === 'check_file_info');
}

const fileName = (file: SlackFile): string => file.name ?? file.title ?? file.id;

/**
 * Downloads a Slack file with the bot token. The token goes only to Slack's file hosts: the host is checked
 * before every request, redirects are followed by hand and only to Slack's file hosts, and the body is capped
 * in size and time. The bytes must be an image. Every refusal is an InputError naming the file.
 */
export function slackFileFetcher(options: SlackFileFetcherOptions) {
  return async (file: SlackFile): Promise<{ name: string; bytes: Buffer }> => {
    const name = fileName(file);
    if (file.mimetype !== undefined && !file.mimetype.startsWith('image/')) {
      throw new InputError(name, `it is a ${file.mimetype} file, not an image`);
    }
    if (file.size !== undefined && file.size > options.maxBytes) {
      throw new InputError(name, `it is ${mib(file.size)}; the limit is ${mib(options.maxBytes)}`);
    }
    const address = file.url_private_download ?? file.url_private;
    if (!address) throw new InputError(name, 'Slack gave no download link for it');
    const bytes = await download(name, address, options);
    const type = await fileTypeFromBuffer(bytes);
    if (!type?.mime.startsWith('image/')) {
      throw new InputError(
        name,
        `its content is ${type ? `a ${type.mime} file` : 'not an image I can read'}`,
      );
    }
    return { name, bytes };
  };
}

export type SlackFileFetcher = ReturnType<typeof slackFileFetcher>;

async function download(name: string, address: string, options: SlackFileFetcherOptions): Promise<Buffer> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let url = slackUrl(name, address);
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const response = await request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${options.token}` },
      signal,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    }).catch((error: unknown) => {
      throw new InputError(name, failure(error, options.timeoutMs));
    });
    const { statusCode, headers, body } = response;
    if (statusCode >= 300 && statusCode < 400 && typeof headers.location === 'string') {
      await body.dump();
      url = slackUrl(name, new URL(headers.location, url).href);
      continue;
    }
    if (statusCode !== 200) {
      await body.dump();
      throw new InputError(name, `Slack answered HTTP ${statusCode} for it`);
    }
    // Without a valid token (or the files:read scope) Slack answers 200 with its sign-in page.
    if (String(headers['content-type'] ?? '').startsWith('text/html')) {
      await body.dump();
      throw new InputError(
        name,
        'Slack sent a sign-in page instead of the file; does the app have the files:read scope?',
      );
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      body.destroy();
      throw new InputError(name, `it is ${mib(declared)}; the limit is ${mib(options.maxBytes)}`);
    }
    return readCapped(name, body, options);
  }
  throw new InputError(name, `Slack redirected more than ${maxRedirects} times`);
}

/** Parses the address and refuses any host but Slack's file hosts (before the token could be sent there). */
function slackUrl(name: string, address: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new InputError(name, 'its download link is not a valid URL');
  }
  if (!isSlackFileHost(url)) {
    throw new InputError(
      name,
      `it is served from ${url.host || 'an unknown host'}; I only download from Slack's file hosts`,
    );
  }
  return url;
}

async function readCapped(
  name: string,
  body: Dispatcher.ResponseData['body'],
  limits: SlackFileLimits,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > limits.maxBytes) {
        body.destroy();
        throw new InputError(name, `it is larger than the ${mib(limits.maxBytes)} limit`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(name, failure(error, limits.timeoutMs));
  }
  return Buffer.concat(chunks);
}

function failure(error: unknown, timeoutMs: number): string {
  const kind = (error as { name?: string })?.name;
  if (kind === 'TimeoutError' || kind === 'AbortError') return `Slack did not send it within ${timeoutMs} ms`;
  return `downloading it failed (${error instanceof Error ? error.message : String(error)})`;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
