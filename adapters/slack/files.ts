import { download, type DownloadSettings } from '../../src/net/download.js';
import { InputError } from '../../src/util/errors.js';
import { checkDeclaredImage, checkImageBytes } from '../shared/image-checks.js';

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

export interface SlackFileFetcherOptions extends DownloadSettings {
  /** The bot token; sent to Slack's file hosts only. */
  token: string;
}

/** Slack serves private files from files.slack.com and regional `files-*.slack.com` hosts, over https only. */
export function isSlackFileHost(url: URL): boolean {
  return (
    url.protocol === 'https:' && url.port === '' && /^files(-[a-z0-9]+)*\.slack\.com$/.test(url.hostname)
  );
}

/** The bot token may only go to Slack's file hosts: the downloader asks before every request and redirect. */
const slackFileHosts = {
  allows: isSlackFileHost,
  refusal: (url: URL) =>
    `it is served from ${url.host || 'an unknown host'}; I only download from Slack's file hosts`,
};

/** The first image among a message's files. */
export function firstImage(files: readonly SlackFile[] | undefined): SlackFile | undefined {
  return files?.find((f) => f.mimetype?.startsWith('image/') ?? f.file_access === 'check_file_info');
}

const fileName = (file: SlackFile): string => file.name ?? file.title ?? file.id;

/**
 * Downloads a Slack file with the bot token, from Slack's file hosts only (redirects included), capped in
 * size and time. The bytes must be an image. Every refusal is an InputError naming the file.
 */
export function slackFileFetcher(options: SlackFileFetcherOptions) {
  const { token, ...limits } = options;
  return async (file: SlackFile): Promise<{ name: string; bytes: Buffer }> => {
    const name = fileName(file);
    checkDeclaredImage(name, { contentType: file.mimetype, size: file.size }, limits.maxBytes);
    const address = file.url_private_download ?? file.url_private;
    if (!address) throw new InputError(name, 'Slack gave no download link for it');
    const { bytes, contentType } = await download(address, {
      ...limits,
      name,
      hosts: slackFileHosts,
      headers: { authorization: `Bearer ${token}` },
    });
    // Without a valid token (or the files:read scope) Slack answers 200 with its sign-in page.
    if (contentType?.startsWith('text/html')) {
      throw new InputError(
        name,
        'Slack sent a sign-in page instead of the file; does the app have the files:read scope?',
      );
    }
    await checkImageBytes(name, bytes);
    return { name, bytes };
  };
}

export type SlackFileFetcher = ReturnType<typeof slackFileFetcher>;
