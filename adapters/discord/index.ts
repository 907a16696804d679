import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, WebSocketShardEvents } from 'discord.js';
import type { Bot, ChatAdapter } from '../../src/bot/types.js';
import { ConfigError } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { downloadSettings } from '../../src/net/download.js';
import { createDownloadLimiter } from '../../src/sources/chat/downloads.js';
import type { LiveChatIndexer } from '../../src/indexer/live-chat.js';
import type { ConnectionStatus } from '../../src/ops/status.js';
import { ServiceError } from '../../src/util/errors.js';
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
  /** Where the gateway connection's state is reported (logs, /readyz). */
  status?: ConnectionStatus;
  /** How long start() waits for the gateway to be ready (default 10 s). */
  connectTimeoutMs?: number;
  /** Called when Discord ends the session for good (token revoked or reset): the process should stop. */
  onFatal?: (error: Error) => void;
}

const defaultConnectTimeoutMs = 10_000;

/** Gateway close codes after which reconnecting cannot help (bad token, intents, shards, API version). */
const fatalCloseCodes = new Map([
  [4004, 'Discord rejected the token (4004 Authentication failed)'],
  [4010, 'invalid shard'],
  [4011, 'sharding required'],
  [4012, 'invalid API version'],
  [4013, 'invalid intents'],
  [4014, 'disallowed intents: enable them in the Developer Portal or remove the channels followed live'],
]);

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
  const status = options.status;
  let lastProblem: string | undefined;
  let stopping = false;
  const watched = new Set<number>();
  client.on(Events.ShardReady, (shardId) => {
    // A lost connection surfaces as the shard's close (with its code) before discord.js reconnects on its own:
    // report it at once, so /readyz and the log say why while the gateway is gone.
    const shard = client.ws.shards.get(shardId);
    if (shard && !watched.has(shardId)) {
      watched.add(shardId);
      shard.on(WebSocketShardEvents.Close, (event: { code: number }) => {
        if (stopping || fatalCloseCodes.has(event.code)) return; // ShardDisconnect reports those
        lastProblem = `gateway closed (${event.code})`;
        status?.report('discord', 'disconnected', lastProblem);
      });
    }
    status?.report('discord', 'connected');
  });
  client.on(Events.ShardResume, () => status?.report('discord', 'resumed'));
  client.on(Events.ShardReconnecting, () => status?.report('discord', 'reconnecting', lastProblem));
  client.on(Events.ShardError, (error) => {
    lastProblem = error.message;
    status?.report('discord', 'reconnecting', error.message);
  });
  client.on(Events.ShardDisconnect, (event) => {
    lastProblem = `gateway closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`;
    status?.report('discord', 'disconnected', lastProblem);
    const fatal = fatalCloseCodes.get(event.code);
    if (fatal) {
      const error =
        event.code === 4004
          ? new ConfigError([{ key: 'DISCORD_TOKEN', message: fatal }])
          : new ServiceError('discord', `Discord ended the session: ${fatal}`);
      logger.error(`discord: ${error.message}`);
      options.onFatal?.(error);
    }
  });
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
      status?.report('discord', 'connecting');
      const timeoutMs = options.connectTimeoutMs ?? defaultConnectTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const ready = once(client, Events.ClientReady);
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ConnectTimeout()), timeoutMs);
      });
      try {
        await Promise.race([client.login(token).then(() => ready), late]);
      } catch (error) {
        void ready.catch(() => undefined);
        await client.destroy().catch(() => undefined);
        const failure = startFailure(error, config, timeoutMs, lastProblem);
        status?.report('discord', 'disconnected', 'could not start (see the error)');
        throw failure;
      } finally {
        clearTimeout(timer);
      }
      unregisterHistory = bot.chatHistory.add(discordHistoryProvider(client, deps.imageLimits, download));
      logger.info('discord: connected', { user: client.user?.tag, servers: client.guilds.cache.size });
    },
    async stop() {
      stopping = true;
      status?.report('discord', 'stopped');
      unregisterHistory();
      await interactions.idle();
      await client.destroy();
    },
  };
}

class ConnectTimeout extends Error {}

/** Why the bot could not start on Discord, as the setting to fix when there is one. */
function startFailure(error: unknown, config: Config, timeoutMs: number, lastProblem?: string): Error {
  const code = (error as { code?: unknown; status?: unknown }).code;
  const status = (error as { status?: unknown }).status;
  if (code === 'TokenInvalid' || status === 401 || code === 4004) {
    return new ConfigError([
      { key: 'DISCORD_TOKEN', message: 'Discord rejected the token (401 Unauthorized)' },
    ]);
  }
  const where = config.DISCORD_API_URL ? ` (DISCORD_API_URL=${config.DISCORD_API_URL})` : '';
  if (error instanceof ConnectTimeout) {
    return new ServiceError(
      'discord',
      `could not connect to the Discord gateway${where} within ${timeoutMs / 1000} s${lastProblem ? `: ${lastProblem}` : ''}`,
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new ServiceError('discord', `could not connect to Discord${where}: ${reason}`, { cause: error });
}
