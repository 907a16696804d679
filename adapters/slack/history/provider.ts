import type { webApi } from '@slack/bolt';
import type { DownloadLimiter } from '../../../src/sources/chat/downloads.js';
import type { ChatHistoryProvider } from '../../../src/sources/chat/providers.js';
import { InputError } from '../../../src/util/errors.js';
import type { SlackFileFetcher } from '../files.js';
import { slackHistorySource } from './source.js';

export interface SlackWorkspace {
  teamId: string;
  /** auth.test's `url`, e.g. `https://photoclub.slack.com/`. */
  url: string;
  /** The bot's own user id. */
  botUserId: string;
}

/** Chat-history indexing for the workspace the bot token belongs to. */
export function slackHistoryProvider(
  client: webApi.WebClient,
  fetchFile: SlackFileFetcher,
  workspace: SlackWorkspace,
  download: DownloadLimiter,
): ChatHistoryProvider {
  return {
    platform: 'slack',
    serves: (tenant) => tenant === workspace.teamId,
    async resolveChannel(_tenant, text) {
      const wanted = text
        .trim()
        .replace(/^<#([A-Z0-9]+)(\|[^>]*)?>$/, '$1')
        .replace(/^#/, '');
      const pages = client.paginate('conversations.list', {
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: 1000,
      }) as AsyncIterable<webApi.ConversationsListResponse>;
      for await (const page of pages) {
        const found = (page.channels ?? []).find((c) => c.id === wanted || c.name === wanted);
        if (found?.id) {
          if (!found.is_member) {
            throw new InputError(
              'channel',
              `invite me to #${found.name ?? found.id} first (/invite @lookalike)`,
            );
          }
          return { id: found.id, name: found.name ?? found.id };
        }
      }
      throw new InputError(
        'channel',
        `there is no channel "${text}" here that I can see (invite me to private ones)`,
      );
    },
    open: (spec) =>
      slackHistorySource({
        ...spec,
        client,
        fetchFile,
        download,
        workspaceUrl: workspace.url,
        ownUserId: workspace.botUserId,
      }),
  };
}
