import type { RespondFn, webApi } from '@slack/bolt';
import type { Bot } from '../../src/bot/types.js';
import type { Config } from '../../src/config/schema.js';
import type { Logger } from '../../src/util/log.js';
import type { AdminCheck } from './admins.js';
import type { SlackFileFetcher } from './files.js';
import type { VisibleChannels } from './visibility.js';

/** What every listener uses: the bot and the adapter's long-lived parts. */
export interface SlackContext {
  bot: Bot;
  config: Config;
  logger: Logger;
  isAdmin: AdminCheck;
  visibleChannels: VisibleChannels;
  fetchFile: SlackFileFetcher;
  /** Shortest time between two edits of a job's status message. */
  progressIntervalMs: number;
}

/** Where a request came from in Slack, and so where its answers go. */
export interface SlackOrigin {
  /** Bolt's client for this workspace. */
  client: webApi.WebClient;
  /** The workspace: the tenant every search is scoped to. */
  teamId: string;
  userId: string;
  channelId: string;
  /** Answers go into this thread (a shortcut's message, a mention, a button in a thread). */
  threadTs?: string;
  /** The interaction's response URL, for ephemeral answers and when the bot may not post in the channel. */
  respond?: RespondFn;
}
