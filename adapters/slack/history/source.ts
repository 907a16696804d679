import type { webApi } from '@slack/bolt';
import type { DownloadLimiter } from '../../../src/sources/chat/downloads.js';
import { chatItemKey, chatSourceId, type ChatChannelSpec } from '../../../src/sources/chat/types.js';
import type { ImageSource, SourceItem } from '../../../src/sources/types.js';
import type { SlackFile, SlackFileFetcher } from '../files.js';

/** Messages per history page (Slack recommends at most 200). */
const pageSize = 200;

export interface SlackHistoryOptions extends ChatChannelSpec {
  /** Bolt's Web API client: it waits out 429s (Retry-After) and retries. */
  client: webApi.WebClient;
  fetchFile: SlackFileFetcher;
  download: DownloadLimiter;
  /** The workspace's address, e.g. `https://photoclub.slack.com/` (auth.test's `url`), for permalinks. */
  workspaceUrl: string;
  /** The bot's own user id: its answers repeat indexed images and are not indexed themselves. */
  ownUserId: string;
}

export interface HistoryMessage {
  ts?: string;
  user?: string;
  subtype?: string;
  edited?: { ts?: string };
  files?: SlackFile[];
}

/** Slack's message link: the workspace address, the channel and the ts without its dot. */
export const slackPermalink = (workspaceUrl: string, channelId: string, ts: string) =>
  new URL(`archives/${channelId}/p${ts.replace('.', '')}`, workspaceUrl).href;

/**
 * A conversation's history (the bot must be in it) as an image source: every image file of every top-level
 * message, newest first, with permalink, author and time. Size and edit time come from the listing, so a
 * re-walk after an interruption skips what is indexed without downloading it.
 */
export function slackHistorySource(options: SlackHistoryOptions): ImageSource {
  const { tenant, channelId } = options;
  return {
    id: chatSourceId('slack', channelId),
    tenant,
    async *items() {
      const oldest = options.since ? String(Date.parse(options.since) / 1000) : undefined;
      const pages = options.client.paginate('conversations.history', {
        channel: channelId,
        limit: pageSize,
        ...(oldest && { oldest }),
      }) as AsyncIterable<{ messages?: HistoryMessage[] }>;
      for await (const page of pages) {
        for (const message of page.messages ?? []) {
          if (message.user !== options.ownUserId) yield* slackMessageItems(message, options);
        }
      }
    },
  };
}

/** The images of one message as source items (also used for messages arriving live). */
export function slackMessageItems(
  message: HistoryMessage,
  options: Pick<SlackHistoryOptions, 'tenant' | 'channelId' | 'workspaceUrl' | 'fetchFile' | 'download'>,
): SourceItem[] {
  const { ts } = message;
  if (!ts) return [];
  const postedAt = new Date(Number(ts) * 1000).toISOString();
  const mtime = Math.round(Number(message.edited?.ts ?? ts) * 1000);
  return (message.files ?? [])
    .filter((file) => file.mimetype?.startsWith('image/'))
    .map((file) => {
      const key = chatItemKey(ts, file.id);
      return {
        key,
        tenant: options.tenant,
        name: file.name ?? file.title ?? file.id,
        relativePath: key,
        permalink: slackPermalink(options.workspaceUrl, options.channelId, ts),
        channelId: options.channelId,
        ...(message.user && { authorId: message.user }),
        postedAt,
        mtime,
        ...(file.size !== undefined && { size: file.size }),
        bytes: async () => (await options.download(() => options.fetchFile(file))).bytes,
      };
    });
}
