import type { webApi } from '@slack/bolt';
import type { Logger } from '../../src/util/log.js';
import { cachedLookup } from './cache.js';
import type { SlackOrigin } from './context.js';

/** How long a person's conversations and the workspace's public channels are trusted (changes show after this). */
const defaultTtlMs = 30_000;

/**
 * Conversations a person is a member of, with the bot too where they are not public. Channels only: the bot
 * indexes no direct messages (it has no im/mpim history scopes), and asking for them needs more scopes.
 */
const memberTypes = 'public_channel,private_channel';

/** Who asks, and where the answer goes. */
export type Asker = Pick<SlackOrigin, 'client' | 'teamId' | 'userId' | 'channelId'>;

/** What an asker may be shown, and which of it everyone in the answer's channel may see too. */
export interface SlackVisibility {
  /** Conversations whose images the asker may get (the store filters hits to these). */
  channels: string[];
  /** Whether images from this conversation may be posted where everyone in the answer's channel reads them. */
  postable(channelId: string): boolean;
}

export type VisibleChannels = (asker: Asker) => Promise<SlackVisibility>;

interface Conversation {
  id?: string;
  is_private?: boolean;
  is_im?: boolean;
  is_mpim?: boolean;
}

const isPublic = (c: Conversation) => c.is_private !== true && c.is_im !== true && c.is_mpim !== true;
const idsOf = (conversations: Conversation[]) => conversations.flatMap((c) => (c.id ? [c.id] : []));

/** Slack's answer to a failed Web API call (`needed` names a missing scope). */
const platformError = (error: unknown) =>
  (error as { data?: { error?: string; needed?: string } } | undefined)?.data;

/**
 * Who may see which chat-history images in Slack: a person sees the workspace's public channels, the
 * conversations they are a member of (`users.conversations`; non-public ones only where the bot is too, which
 * is where images can be indexed from) and the channel they ask in. Both lists are kept per workspace and per
 * person for `ttlMs`. When the memberships cannot be listed (a missing scope, logged) the person sees only the
 * public channels and the channel they ask in, so nothing leaks.
 */
export function slackChannelVisibility(logger: Logger, options: { ttlMs?: number } = {}): VisibleChannels {
  const ttlMs = options.ttlMs ?? defaultTtlMs;
  const listAll = async (client: webApi.WebClient, method: string, args: Record<string, unknown>) => {
    const found: Conversation[] = [];
    const pages = client.paginate(method, { ...args, limit: 1000 }) as AsyncIterable<{
      channels?: Conversation[];
    }>;
    for await (const page of pages) found.push(...(page.channels ?? []));
    return found;
  };
  const publicChannels = cachedLookup(
    ttlMs,
    ({ teamId }: Asker) => teamId,
    async ({ client }) => idsOf(await listAll(client, 'conversations.list', { types: 'public_channel' })),
  );
  const memberships = cachedLookup(
    ttlMs,
    ({ teamId, userId }: Asker) => `${teamId}/${userId}`,
    async ({ client, teamId, userId }) => {
      try {
        return await listAll(client, 'users.conversations', { user: userId, types: memberTypes });
      } catch (error) {
        const data = platformError(error);
        if (data?.error !== 'missing_scope') throw error;
        // A missing scope stays missing until the app is reinstalled: remembered like an answer.
        logger.warn("could not list a Slack user's conversations: the app lacks a scope", {
          teamId,
          needed: data.needed,
        });
        return [];
      }
    },
  );
  return async (asker) => {
    const [everyone, theirs] = await Promise.all([
      // Without them, only the public channels the person is in count (from their memberships).
      publicChannels(asker).catch((error: unknown) => {
        logger.warn('could not list public Slack channels', { teamId: asker.teamId, error });
        return [];
      }),
      memberships(asker).catch((error: unknown) => {
        logger.warn("could not list a Slack user's conversations", { teamId: asker.teamId, error });
        return [];
      }),
    ]);
    const open = new Set([...everyone, ...idsOf(theirs.filter(isPublic))]);
    const channels = new Set([...open, ...idsOf(theirs), asker.channelId]);
    return {
      channels: [...channels],
      postable: (channelId) => open.has(channelId) || channelId === asker.channelId,
    };
  };
}
