import type { App } from '@slack/bolt';
import type { DownloadLimiter } from '../../../src/sources/chat/downloads.js';
import type { LiveChatIndexer } from '../../../src/sources/chat/live.js';
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

/**
 * Hands the workspace's message events to the live indexer: new messages (with files shared), edits
 * (`message_changed`) and deletions (`message_deleted`). The bot's own messages are left out, as in the walk.
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
  const { workspace } = options;
  app.event('message', async ({ event }) => {
    const e = event as unknown as MessageEvent;
    const where = {
      tenant: workspace.teamId,
      channelId: e.channel,
      source: chatSourceId('slack', e.channel),
    };
    const items = (message: HistoryMessage) =>
      message.user === workspace.botUserId
        ? []
        : slackMessageItems(message, {
            ...options,
            tenant: workspace.teamId,
            channelId: e.channel,
            workspaceUrl: workspace.url,
          });
    try {
      if (e.subtype === 'message_deleted') {
        const ts = e.deleted_ts ?? e.previous_message?.ts;
        if (ts) await live.deleted(where, [ts]);
      } else if (e.subtype === 'message_changed') {
        if (e.message?.ts) await live.edited(where, e.message.ts, items(e.message));
      } else if (e.subtype === undefined || e.subtype === 'file_share') {
        await live.posted(where, items(e));
      }
    } catch (error) {
      options.logger.error('slack: live indexing failed', { channel: e.channel, error });
    }
  });
}
