import type { App } from '@slack/bolt';
import type { DownloadLimiter } from '../../../src/sources/chat/downloads.js';
import type { ChatEventPlace, LiveChatIndexer } from '../../../src/indexer/live-chat.js';
import { chatSourceId } from '../../../src/sources/chat/types.js';
import type { Logger } from '../../../src/util/log.js';
import type { SlackFileFetcher } from '../files.js';
import type { SlackWorkspace } from './provider.js';
import { slackMessageItems, type HistoryMessage } from './source.js';

interface MessageEvent extends HistoryMessage {
  channel: string;
  message?: HistoryMessage;
  deleted_ts?: string;
  previous_message?: HistoryMessage;
}

/** Message subtypes that post images: a plain message, files shared, a thread reply also sent to the channel. */
const postingSubtypes = new Set([undefined, 'file_share', 'thread_broadcast']);

/**
 * Hands the workspace's message events to the live indexer: new messages and thread replies (with files
 * shared), edits (`message_changed`, which also reports a file removed from its message), deletions
 * (`message_deleted`) and deleted files (`file_deleted`). The bot's own messages are left out, as in the walk.
 */
export function followSlackMessages(
  app: App,
  live: LiveChatIndexer,
  options: {
    workspace: SlackWorkspace;
    fetchFile: SlackFileFetcher;
    download: DownloadLimiter;
    logger: Logger;
  },
): void {
  const { workspace, logger } = options;
  const itemsOf = (channelId: string, message: HistoryMessage) =>
    message.user === workspace.botUserId
      ? []
      : slackMessageItems(message, {
          ...options,
          tenant: workspace.teamId,
          channelId,
          workspaceUrl: workspace.url,
        });
  const place = (channelId: string): ChatEventPlace => ({
    tenant: workspace.teamId,
    channelId,
    source: chatSourceId('slack', channelId),
    async reread(ts) {
      // A message's own ts finds it, whether it starts a thread or replies in one.
      const found = await app.client.conversations
        .replies({ channel: channelId, ts, limit: 1 })
        .catch((error: unknown) => {
          if ((error as { data?: { error?: string } }).data?.error === 'thread_not_found') return undefined;
          throw error;
        });
      const message = (found?.messages as HistoryMessage[] | undefined)?.find((m) => m.ts === ts);
      return message ? itemsOf(channelId, message) : [];
    },
  });

  app.event('message', async ({ event }) => {
    const e = event as unknown as MessageEvent;
    const where = place(e.channel);
    const items = (message: HistoryMessage) => itemsOf(e.channel, message);
    try {
      if (e.subtype === 'message_deleted') {
        const ts = e.deleted_ts ?? e.previous_message?.ts;
        if (ts) await live.deleted(where, [ts]);
      } else if (e.subtype === 'message_changed') {
        if (e.message?.ts) await live.edited(where, e.message.ts, items(e.message));
      } else if (postingSubtypes.has(e.subtype)) {
        await live.posted(where, items(e));
      }
    } catch (error) {
      logger.error('slack: live indexing failed', { channel: e.channel, error });
    }
  });

  app.event('file_deleted', async ({ event }) => {
    try {
      const channels = event.channel_ids ?? (await live.followedChannels(workspace.teamId, 'slack'));
      await Promise.all(channels.map((id) => live.imagesDeleted(place(id), [event.file_id])));
    } catch (error) {
      logger.error('slack: live indexing failed', { file: event.file_id, error });
    }
  });
}
