import {
  DiscordAPIError,
  GatewayDispatchEvents,
  Routes,
  type APIMessage,
  type Client,
  type GatewayDispatchPayload,
  type GatewayMessageDeleteBulkDispatchData,
  type GatewayMessageDeleteDispatchData,
} from 'discord.js';
import type { DownloadLimiter } from '../../../src/sources/chat/downloads.js';
import type { ChatEventPlace, LiveChatIndexer } from '../../../src/indexer/live-chat.js';
import { chatSourceId } from '../../../src/sources/chat/types.js';
import type { Logger } from '../../../src/util/log.js';
import type { ImageLimits } from '../images.js';
import { discordMessageItems } from './source.js';

/**
 * Hands the gateway's message events of servers to the live indexer: posts and edits (the images a message has
 * now: attachments removed and link previews added or gone are followed), deletions (one or many messages). Read from the raw dispatches, which carry the API's message shape the history walk
 * reads too. The bot's own messages are left out, as in the walk.
 */
export function followDiscordMessages(
  client: Client,
  live: LiveChatIndexer,
  options: { limits: ImageLimits; download: DownloadLimiter; logger: Logger },
): void {
  const isOwn = (message: APIMessage) => message.author.id === client.user?.id;
  const itemsOf = (message: APIMessage, guildId: string) =>
    discordMessageItems(message, { ...options, tenant: guildId });
  const where = (guildId: string, channelId: string): ChatEventPlace => ({
    tenant: guildId,
    channelId,
    source: chatSourceId('discord', channelId),
    async reread(messageId) {
      const message = (await client.rest
        .get(Routes.channelMessage(channelId, messageId))
        .catch((error: unknown) => {
          if (error instanceof DiscordAPIError && error.status === 404) return undefined;
          throw error;
        })) as APIMessage | undefined;
      return message && !isOwn(message) ? itemsOf(message, guildId) : [];
    },
  });
  const handle = async (packet: GatewayDispatchPayload) => {
    switch (packet.t) {
      case GatewayDispatchEvents.MessageCreate:
      case GatewayDispatchEvents.MessageUpdate: {
        const message = packet.d as APIMessage & { guild_id?: string };
        if (!message.guild_id || isOwn(message)) return;
        const items = itemsOf(message, message.guild_id);
        const at = where(message.guild_id, message.channel_id);
        if (packet.t === GatewayDispatchEvents.MessageCreate) await live.posted(at, items);
        else await live.edited(at, message.id, items);
        return;
      }
      case GatewayDispatchEvents.MessageDelete: {
        const d = packet.d as GatewayMessageDeleteDispatchData;
        if (d.guild_id) await live.deleted(where(d.guild_id, d.channel_id), [d.id]);
        return;
      }
      case GatewayDispatchEvents.MessageDeleteBulk: {
        const d = packet.d as GatewayMessageDeleteBulkDispatchData;
        if (d.guild_id) await live.deleted(where(d.guild_id, d.channel_id), d.ids);
        return;
      }
      default:
    }
  };
  client.on('raw', (packet: GatewayDispatchPayload) => {
    handle(packet).catch((error: unknown) =>
      options.logger.error('discord: live indexing failed', { error }),
    );
  });
}
