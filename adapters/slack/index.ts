import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
// Named imports: Node's ESM loader and vitest agree on them for this CommonJS package (a default import differs).
import { App, webApi } from '@slack/bolt';
import type { Bot, ChatAdapter } from '../../src/bot/types.js';
import { ConfigError } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { downloadSettings } from '../../src/net/download.js';
import { createDownloadLimiter } from '../../src/sources/chat/downloads.js';
import type { LiveChatIndexer } from '../../src/indexer/live-chat.js';
import type { ConnectionStatus } from '../../src/ops/status.js';
import { ServiceError } from '../../src/util/errors.js';
import type { Logger } from '../../src/util/log.js';
import { slackAdmins } from './admins.js';
import { boltLogger } from './bolt-logger.js';
import type { SlackContext } from './context.js';
import { slackFileFetcher } from './files.js';
import { followSlackMessages } from './history/live.js';
import { slackHistoryProvider } from './history/provider.js';
import { registerListeners } from './listeners/index.js';
import { onceEachEvent, requestScope } from './once-each-event.js';
import { slackChannelVisibility } from './visibility.js';

/** auth.test's answers for a token that will never work. */
const refusedToken = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked']);

/** Slack edits status messages at most about once a second per channel; one edit per 2 s leaves room. */
const defaultProgressIntervalMs = 2_000;

export interface SlackAdapterOptions {
  bot: Bot;
  config: Config;
  logger: Logger;
  /** HTTP mode: where to listen (default: SLACK_PORT on every interface). */
  listen?: { port: number; host?: string };
  /** Web API retries (default: the client's own policy, which honours Retry-After). */
  retryConfig?: webApi.RetryOptions;
  progressIntervalMs?: number;
  /** Follows new, edited and deleted messages of the indexed channels (message.* events). */
  live?: LiveChatIndexer;
  /** Where the connection's state is reported (logs, /readyz). */
  status?: ConnectionStatus;
  /** Socket Mode: how long start() waits for the connection (default 10 s). */
  connectTimeoutMs?: number;
}

export interface SlackAdapter extends ChatAdapter {
  /** HTTP mode: the address the request URL must reach, once started. */
  address(): AddressInfo | undefined;
}

/**
 * lookalike in Slack, on Bolt: Socket Mode by default (SLACK_APP_TOKEN), or HTTP with Bolt's receiver verifying
 * every request's signature (SLACK_MODE=http, SLACK_SIGNING_SECRET, SLACK_PORT). Listeners live in
 * ./listeners by kind; each acknowledges within Slack's 3 s and then answers in the channel or thread.
 */
export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  const { bot, config, logger } = options;
  const settings = slackSettings(config);
  const app = new App({
    token: settings.botToken,
    ...(settings.mode === 'socket'
      ? { socketMode: true, appToken: settings.appToken }
      : { signingSecret: settings.signingSecret, port: config.SLACK_PORT }),
    logger: boltLogger(logger),
    clientOptions: {
      ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
      ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
    },
    // auth.test runs in start(), where a refused token can be reported plainly.
    deferInitialization: true,
    convoStore: false,
  });
  const deps: SlackContext = {
    bot,
    config,
    logger,
    isAdmin: slackAdmins(config, logger),
    visibleChannels: slackChannelVisibility(logger),
    fetchFile: slackFileFetcher({ token: settings.botToken, ...downloadSettings(config) }),
    progressIntervalMs: options.progressIntervalMs ?? defaultProgressIntervalMs,
  };
  app.use(onceEachEvent());
  app.use(requestScope());
  registerListeners(app, deps);
  app.error(async (error) => logger.error('Slack listener failed', { error }));
  const status = options.status;
  let started = false;
  let lastProblem: string | undefined;
  // Socket Mode's client reports its connection's life; Bolt keeps its receiver private, so it is read here.
  const socket =
    settings.mode === 'socket'
      ? (app as unknown as { receiver?: { client?: NodeJS.EventEmitter } }).receiver?.client
      : undefined;
  if (settings.mode === 'socket') {
    socket?.on('connecting', () => status?.report('slack', 'connecting'));
    socket?.on('connected', () => status?.report('slack', 'connected'));
    socket?.on('reconnecting', () => status?.report('slack', 'reconnecting', lastProblem));
    socket?.on('disconnected', (error?: Error) =>
      status?.report('slack', 'disconnected', error?.message ?? 'socket closed'),
    );
    // A lost connection shows as 'error' then 'close' (the client reconnects on its own, and says 'disconnected'
    // only when it gives up): report it at once, so /readyz and the log say so while it is down.
    socket?.on('error', (error?: Error) => (lastProblem = error?.message || 'connection lost'));
    socket?.on('close', () => {
      if (started) status?.report('slack', 'disconnected', lastProblem ?? 'connection closed');
    });
    socket?.on('connected', () => (lastProblem = undefined));
  }

  let server: Server | undefined;
  let unregisterHistory = () => {};
  return {
    platform: 'slack',
    async start() {
      await checkSlackReachable(config, settings.botToken);
      await app.init().catch((error: unknown) => {
        throw startError(error, config);
      });
      const auth = await app.client.auth.test();
      if (auth.team_id && auth.url && auth.user_id) {
        const workspace = { teamId: auth.team_id, url: auth.url, botUserId: auth.user_id };
        const download = createDownloadLimiter();
        unregisterHistory = bot.chatHistory.add(
          slackHistoryProvider(app.client, deps.fetchFile, workspace, download),
        );
        if (options.live) {
          followSlackMessages(app, options.live, { workspace, fetchFile: deps.fetchFile, download, logger });
        }
      }
      if (settings.mode === 'http') {
        server = (await app
          .start(options.listen ?? config.SLACK_PORT)
          .catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'EADDRINUSE') throw error;
            throw new ConfigError([
              { key: 'SLACK_PORT', message: `port ${config.SLACK_PORT} is already in use: choose another` },
            ]);
          })) as Server;
        logger.info('Slack bot listening for requests', { address: server.address() });
        status?.report('slack', 'connected', 'HTTP mode: listening for requests');
      } else {
        await socketModeStarted(app, socket, config, options.connectTimeoutMs ?? 10_000, () => lastProblem);
        logger.info('Slack bot connected (Socket Mode)');
      }
      started = true;
    },
    async stop() {
      if (!started) return;
      started = false;
      status?.report('slack', 'stopped');
      unregisterHistory();
      server = undefined;
      socket?.removeAllListeners('disconnected'); // see socketModeStarted: reconnects in flight would reject
      await app.stop();
    },
    address: () => (server?.address() as AddressInfo | null) ?? undefined,
  };
}

/**
 * Starts Socket Mode within `timeoutMs`. Its client retries a connection that cannot be opened forever (it asks
 * for a new address and tries again), so a blocked or dead Socket Mode address would leave the bot silent:
 * past the deadline it stops trying and says so, naming SLACK_API_URL when that is where the address came from.
 */
async function socketModeStarted(
  app: App,
  socket: NodeJS.EventEmitter | undefined,
  config: Config,
  timeoutMs: number,
  lastProblem: () => string | undefined,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  try {
    if ((await Promise.race([app.start(), late])) !== 'late') return;
  } finally {
    clearTimeout(timer);
  }
  // Each reconnect attempt of the client waits on its own promise for 'disconnected', which stopping emits; the
  // client holds none of those promises, so each would be an unhandled rejection (without a reason) that ends
  // the process before the error below is said. Nothing else here listens for 'disconnected' by now.
  socket?.removeAllListeners('disconnected');
  await app.stop().catch(() => undefined);
  const where = config.SLACK_API_URL ? ` (SLACK_API_URL=${config.SLACK_API_URL})` : '';
  const problem = lastProblem();
  throw new ServiceError(
    'slack',
    `could not open the Slack Socket Mode connection${where} within ${timeoutMs / 1000} s` +
      `${problem ? `: ${problem}` : ''} (check the network and proxy between this machine and Slack)`,
  );
}

/** Where the Web API is, for messages: SLACK_API_URL when set. */
const apiUrlNamed = (config: Config) =>
  config.SLACK_API_URL ? `${config.SLACK_API_URL} (SLACK_API_URL)` : 'https://slack.com/api/';

/** A start-time failure of auth.test as the setting to fix: a refused token, or an API address not answering. */
function startError(error: unknown, config: Config): Error {
  const code = (error as { data?: { error?: string } })?.data?.error;
  if (code !== undefined && refusedToken.has(code)) {
    return new ConfigError([{ key: 'SLACK_BOT_TOKEN', message: `Slack refused it (${code})` }]);
  }
  const reason = error instanceof Error ? error.message : String(error);
  const message = `Slack's Web API at ${apiUrlNamed(config)} could not be reached: ${reason}`;
  return config.SLACK_API_URL
    ? new ConfigError([
        { key: 'SLACK_API_URL', message: `${config.SLACK_API_URL} could not be reached: ${reason}` },
      ])
    : new ServiceError('slack', message, { cause: error });
}

/**
 * One auth.test without retries and within 10 s before Bolt's own (whose client retries for about half an
 * hour): an unreachable API address or a refused token fails the start at once, with the setting named.
 */
async function checkSlackReachable(config: Config, token: string): Promise<void> {
  const client = new webApi.WebClient(token, {
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
    retryConfig: { retries: 0 },
    timeout: startCheckTimeoutMs,
    logLevel: webApi.LogLevel.ERROR,
  });
  try {
    await client.auth.test();
  } catch (error) {
    throw startError(error, config);
  }
}

const startCheckTimeoutMs = 10_000;

type SlackSettings =
  | { mode: 'socket'; botToken: string; appToken: string }
  | { mode: 'http'; botToken: string; signingSecret: string };

/** The settings the chosen mode needs, or a ConfigError naming each one missing. */
function slackSettings(config: Config): SlackSettings {
  const problems: { key: string; message: string }[] = [];
  const need = (key: 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN' | 'SLACK_SIGNING_SECRET', message: string) => {
    const value = config[key];
    if (!value) problems.push({ key, message });
    return value ?? '';
  };
  const botToken = need(
    'SLACK_BOT_TOKEN',
    'the bot token (xoxb-...) from the app\'s "OAuth & Permissions" page',
  );
  const settings: SlackSettings =
    config.SLACK_MODE === 'socket'
      ? {
          mode: 'socket',
          botToken,
          appToken: need(
            'SLACK_APP_TOKEN',
            'Socket Mode needs an app-level token (xapp-...) with connections:write',
          ),
        }
      : {
          mode: 'http',
          botToken,
          signingSecret: need(
            'SLACK_SIGNING_SECRET',
            'HTTP mode needs the signing secret to verify requests',
          ),
        };
  // A token of the wrong kind (a user token where the bot token belongs) is refused by parseConfig already.
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}
