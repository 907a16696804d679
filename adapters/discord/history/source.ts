import path from 'node:path';
import { Routes, type APIMessage, type REST } from 'discord.js';
import type { DownloadLimiter } from '../../../src/sources/chat/downloads.js';
import { chatItemKey, chatSourceId, type ChatChannelSpec } from '../../../src/sources/chat/types.js';
import type { ImageSource, SourceItem } from '../../../src/sources/types.js';
import { fetchImage, type DiscordImage, type ImageLimits } from '../images.js';

/** Messages per history page: Discord's maximum. */
const pageSize = 100;

export interface DiscordHistoryOptions extends ChatChannelSpec {
  /** discord.js's REST client: queues requests per route and waits out 429s. */
  rest: REST;
  limits: ImageLimits;
  download: DownloadLimiter;
  /** The bot's own user id: its answers repeat indexed images and are not indexed themselves. */
  ownUserId: string;
}

const looksLikeImage = (name: string) => /\.(jpe?g|png|gif|webp|avif|bmp|tiff?)$/i.test(name);

export const discordPermalink = (guildId: string, channelId: string, messageId: string) =>
  `https://discord.com/channels/${guildId}/${channelId}/${messageId}`;

/**
 * A Discord channel's (or thread's) history as an image source: every image attachment and embedded image
 * of every message, newest first, with the message's permalink, author and time. Size and post time are
 * known from the listing, so a re-walk after an interruption skips what is indexed without downloading it.
 */
export function discordHistorySource(options: DiscordHistoryOptions): ImageSource {
  const { tenant, channelId } = options;
  return {
    id: chatSourceId('discord', channelId),
    tenant,
    async *items() {
      const since = options.since ? Date.parse(options.since) : undefined;
      let before: string | undefined;
      for (;;) {
        const query = new URLSearchParams({ limit: String(pageSize), ...(before ? { before } : {}) });
        const page = (await options.rest.get(Routes.channelMessages(channelId), { query })) as APIMessage[];
        for (const message of page) {
          if (since !== undefined && Date.parse(message.timestamp) < since) return;
          if (message.author.id !== options.ownUserId) yield* discordMessageItems(message, options);
        }
        if (page.length < pageSize) return;
        before = page[page.length - 1]?.id;
      }
    },
  };
}

/** The images of one message as source items (also used for messages arriving live). */
export function discordMessageItems(
  message: APIMessage,
  options: Pick<DiscordHistoryOptions, 'tenant' | 'limits' | 'download'>,
): SourceItem[] {
  const permalink = discordPermalink(options.tenant, message.channel_id, message.id);
  // An attachment never changes (an edit can only remove it), so an edit of the text re-reads nothing.
  const mtime = Date.parse(message.timestamp);
  const item = (imageKey: string, image: DiscordImage): SourceItem => {
    const key = chatItemKey(message.id, imageKey);
    return {
      key,
      tenant: options.tenant,
      name: image.name,
      relativePath: key,
      permalink,
      channelId: message.channel_id,
      authorId: message.author.id,
      postedAt: message.timestamp,
      mtime,
      ...(image.size !== undefined && { size: image.size }),
      bytes: async () => (await options.download(() => fetchImage(image, options.limits))).bytes,
    };
  };
  const items = message.attachments
    .filter((a) => (a.content_type ? a.content_type.startsWith('image/') : looksLikeImage(a.filename)))
    .map((a) =>
      item(a.id, {
        name: a.filename,
        url: a.url,
        size: a.size,
        ...(a.content_type && { contentType: a.content_type }),
      }),
    );
  message.embeds.forEach((embed, index) => {
    const picture = embed.image ?? embed.thumbnail;
    const url = picture?.proxy_url ?? picture?.url;
    if (url) {
      const name = path.posix.basename(new URL(url).pathname) || 'image';
      items.push(item(`embed-${index}`, { name, url }));
    }
  });
  return items;
}
