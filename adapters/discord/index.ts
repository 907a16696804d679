import { once } from 'node:events';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { Bot, ChatAdapter } from '../../src/bot/types.js';
import { ConfigError } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { downloadSettings } from '../../src/net/download.js';
import { createDownloadLimiter } from '../../src/sources/chat/downloads.js';
import type { LiveChatIndexer } from '../../src/indexer/live-chat.js';
import type { Logger } from '../../src/util/log.js';
import { followDiscordMessages } from './history/live.js';
import { discordHistoryProvider } from './history/provider.js';
import { discordChannelVisibility } from './history/visibility.js';
import { discordRestOptions } from './rest-options.js';
import { routeInteractions } from './interactions/index.js';
import { defaultUploadBudgetBytes } from './messages.js';
import type { VisibleChannels } from './request.js';
import type { DiscordContext } from './context.js';

export interface DiscordAdapterOptions {
  bot: Bot;
  config: Config;
  logger: Logger;
  /** Channels an asker may see, for chat-history results (default: ViewChannel in each cached channel). */
  visibleChannels?: VisibleChannels;
  /** Follows new, edited and deleted messages of the indexed channels (needs the Message Content intent). */
  live?: LiveChatIndexer;
  /** Total bytes of files in one reply (default 8 MiB). */
  uploadBudgetBytes?: number;
  /** Least time between two edits of a job's status message (default 2 s). */
  progressIntervalMs?: number;
}

/**
 * lookalike on Discord: slash commands, the "Find similar images" message menu and result buttons, over the
 * gateway with the Guilds intent only (interactions need no privileged intent). DISCORD_API_URL points REST
 * (and so the gateway address) at another server, e.g. a local fake in tests.
 */
export function createDiscordAdapter(options: DiscordAdapterOptions): ChatAdapter {
  const { bot, config, logger } = options;
  const token = config.DISCORD_TOKEN;
  if (!token) throw new ConfigError([{ key: 'DISCORD_TOKEN', message: 'required to run the Discord bot' }]);
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      ...(options.live ? [GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent] : []),
    ],
    rest: discordRestOptions(config),
  });
  client.on(Events.Error, (error) => logger.error('discord: client error', { error }));
  client.on(Events.Warn, (message) => logger.warn(`discord: ${message}`));
  client.rest.on('rateLimited', (info) =>
    logger.info('discord: rate limited, waiting', { route: info.route, retryAfterMs: info.retryAfter }),
  );
  const deps: DiscordContext = {
    bot,
    logger,
    adminRoleId: config.DISCORD_ADMIN_ROLE_ID,
    imageLimits: downloadSettings(config),
    uploadBudgetBytes: options.uploadBudgetBytes ?? defaultUploadBudgetBytes,
    progressIntervalMs: options.progressIntervalMs ?? 2000,
    visibleChannels: options.visibleChannels ?? discordChannelVisibility(),
  };
  const interactions = routeInteractions(client, deps);
  const download = createDownloadLimiter();
  if (options.live)
    followDiscordMessages(client, options.live, { limits: deps.imageLimits, download, logger });
  let unregisterHistory = () => {};
  return {
    platform: 'discord',
    async start() {
      const ready = once(client, Events.ClientReady);
      await client.login(token);
      await ready;
      unregisterHistory = bot.chatHistory.add(discordHistoryProvider(client, deps.imageLimits, download));
      logger.info('discord: connected', { user: client.user?.tag, servers: client.guilds.cache.size });
    },
    async stop() {
      unregisterHistory();
      await interactions.idle();
      await client.destroy();
    },
  };
}
