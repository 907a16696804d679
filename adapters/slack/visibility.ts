import type { webApi } from '@slack/bolt';
import type { Logger } from '../../src/util/log.js';
import { cachedLookup } from './cache.js';

/** How long a workspace's list of public channels is trusted. */
const publicChannelsTtlMs = 5 * 60_000;

export type VisibleChannels = (
  client: webApi.WebClient,
  teamId: string,
  channelId: string,
) => Promise<string[]>;

/**
 * The channels whose images may be shown in an answer posted to `channelId`: every public channel of the
 * workspace (anyone in it can read them) and the channel itself (its members are the audience). Images from
 * other private channels or direct messages never appear, wherever the asker is a member. When the public
 * channels cannot be listed (missing channels:read), only the channel itself counts, and that is logged.
 */
export function slackChannelVisibility(logger: Logger): VisibleChannels {
  const publicChannels = cachedLookup(
    publicChannelsTtlMs,
    ({ teamId }: { client: webApi.WebClient; teamId: string }) => teamId,
    async ({ client }) => {
      const ids: string[] = [];
      const pages = client.paginate('conversations.list', {
        types: 'public_channel',
        exclude_archived: true,
        limit: 1000,
      }) as AsyncIterable<webApi.ConversationsListResponse>;
      for await (const page of pages) ids.push(...(page.channels ?? []).flatMap((c) => (c.id ? [c.id] : [])));
      return ids;
    },
  );
  return async (client, teamId, channelId) => {
    try {
      const ids = await publicChannels({ client, teamId });
      return ids.includes(channelId) ? ids : [...ids, channelId];
    } catch (error) {
      logger.warn('could not list public Slack channels; answers show this channel only', { teamId, error });
      return [channelId];
    }
  };
}
