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
  /** The thread's parent ts, on replies and on parents that have replies. */
  thread_ts?: string;
  reply_count?: number;
  user?: string;
  subtype?: string;
  files?: SlackFile[];
}

/**
 * Slack's message link: the workspace address, the channel and the ts without its dot; a thread reply's link
 * also names its thread, so it opens there.
 */
export function slackPermalink(
  workspaceUrl: string,
  channelId: string,
  ts: string,
  threadTs?: string,
): string {
  const link = new URL(`archives/${channelId}/p${ts.replace('.', '')}`, workspaceUrl);
  if (threadTs && threadTs !== ts)
    link.search = new URLSearchParams({ thread_ts: threadTs, cid: channelId }).toString();
  return link.href;
}

/** A reply in a thread (not the thread's parent). */
const isReply = (message: HistoryMessage) =>
  message.thread_ts !== undefined && message.thread_ts !== message.ts;

/**
 * A conversation's history (the bot must be in it) as an image source: every image file of every message and
 * of every thread reply, newest first, with permalink, author and time. Size and post time come from the
 * listing, so a re-walk after an interruption skips what is indexed without downloading it. Replies are
 * walked with their thread's parent; a thread started before `since` is not looked into.
 */
export function slackHistorySource(options: SlackHistoryOptions): ImageSource {
  const { tenant, channelId, client } = options;
  const oldest = options.since ? String(Date.parse(options.since) / 1000) : undefined;
  const imagesOf = (message: HistoryMessage) =>
    message.user === options.ownUserId ? [] : slackMessageItems(message, options);
  async function* replies(parentTs: string) {
    const pages = client.paginate('conversations.replies', {
      channel: channelId,
      ts: parentTs,
      limit: pageSize,
      ...(oldest && { oldest }),
    }) as AsyncIterable<{ messages?: HistoryMessage[] }>;
    for await (const page of pages) {
      for (const message of page.messages ?? []) if (message.ts !== parentTs) yield* imagesOf(message);
    }
  }
  return {
    id: chatSourceId('slack', channelId),
    tenant,
    async *items() {
      const pages = client.paginate('conversations.history', {
        channel: channelId,
        limit: pageSize,
        ...(oldest && { oldest }),
      }) as AsyncIterable<{ messages?: HistoryMessage[] }>;
      for await (const page of pages) {
        for (const message of page.messages ?? []) {
          // A reply also sent to the channel is listed here too; it is walked with its thread.
          if (isReply(message)) continue;
          yield* imagesOf(message);
          if (message.ts && (message.reply_count ?? 0) > 0) yield* replies(message.ts);
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
  // A file never changes (an edit can only remove it), so an edit of the text re-reads nothing.
  const mtime = Math.round(Number(ts) * 1000);
  const permalink = slackPermalink(options.workspaceUrl, options.channelId, ts, message.thread_ts);
  return (message.files ?? [])
    .filter((file) => file.mimetype?.startsWith('image/'))
    .map((file) => {
      const key = chatItemKey(ts, file.id);
      return {
        key,
        tenant: options.tenant,
        name: file.name ?? file.title ?? file.id,
        relativePath: key,
        permalink,
        channelId: options.channelId,
        ...(message.user && { authorId: message.user }),
        postedAt,
        mtime,
        ...(file.size !== undefined && { size: file.size }),
        bytes: async () => (await options.download(() => options.fetchFile(file))).bytes,
      };
    });
}
