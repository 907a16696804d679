import type { Command } from 'commander';
import { createBot } from '../bot/create.js';
import type { ChatAdapter } from '../bot/types.js';
import { checkModelFolders, ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openEmbedder, openStampedEmbedder } from '../model/index.js';
import type { Embedder } from '../model/types.js';
import { ActiveModel } from '../search/active-model.js';
import type { VectorStore } from '../store/types.js';
import { openTextReader } from '../ocr/index.js';
import { ChatChannels } from '../sources/chat/channels.js';
import { LiveChatIndexer } from '../indexer/live-chat.js';
import { openLeases } from '../store/leases/open.js';
import { openSessions } from '../search/open-sessions.js';
import { checkWithin, startOpsServer, type OpsServer } from '../ops/http.js';
import { measuredEmbedder, measuredStore, metrics } from '../ops/metrics.js';
import { ConnectionStatus, type PartStatus } from '../ops/status.js';
import { openStore } from '../store/open.js';
import { createLogger, type Logger } from '../util/log.js';
import { ensureModels } from './models.js';
import { shutdown as shutdownState } from './shutdown-state.js';

/** `lookalike start` (what `npm start` runs): the bot on Discord and/or Slack when their tokens are set, else a console. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'Run the bot: on Discord when DISCORD_TOKEN is set, on Slack when SLACK_BOT_TOKEN is set, else an interactive console',
    )
    .action(async () => {
      const config = loadConfig();
      await startBot(config, createLogger(config));
    });
}

/**
 * The composition root: the one place that puts core, commands and adapters together. Commands and adapters are
 * imported on demand, so src/ holds no static import of them and a platform's library loads only when used.
 */
async function startBot(config: Config, logger: Logger): Promise<void> {
  const status = new ConnectionStatus(logger);
  checkModelFolders(config);
  await ensureModels(config); // first start: fetches the default model unless a model folder is there
  const configured = measuredEmbedder(await openEmbedder(config));
  const store = measuredStore(
    await openStore(config).catch(async (error: unknown) => {
      await configured.close();
      throw error;
    }),
  );
  const { embedder, switchTo } = await servingModel(config, configured, store, logger);
  await store.ensureIndex({ dims: embedder.dims, modelId: embedder.modelId });
  const model = new ActiveModel(embedder);
  const leases = await openLeases(config);
  const remembered = await openSessions(config);
  const reader = await openTextReader(config);

  const chat = Boolean(config.DISCORD_TOKEN || config.SLACK_BOT_TOKEN);
  const { commands, consoleCommands } = await import('../../commands/index.js');
  const channels = new ChatChannels(config.LOOKALIKE_DATA_DIR);
  let accepting = true;
  const bot = createBot({
    config,
    embedder,
    model,
    ...(switchTo && { switchTo }),
    ...(reader && { reader }),
    store,
    logger,
    channels,
    leases,
    sessions: remembered.sessions,
    commands: chat ? commands : consoleCommands,
    accepting: () => accepting,
  });

  // Following live posts needs Discord's message intents: only ask for them once an admin added a channel.
  const live =
    chat && (await channels.list()).length > 0
      ? new LiveChatIndexer({
          store,
          embedder: model.following(),
          ...(reader && { reader }),
          logger,
          channels,
        })
      : undefined;

  let stopping: Promise<void> | undefined;
  let exitCode = 0;
  const fatal = (error: Error) => {
    logger.error(`stopping: ${error.message}`);
    exitCode = error instanceof ConfigError ? 2 : 1; // 2: a setting to fix, restarting cannot help
    void shutdown('fatal').then(() => process.exit(exitCode));
  };

  const adapters: ChatAdapter[] = [];
  let consoleDone: Promise<void> | undefined;
  if (config.DISCORD_TOKEN) {
    const { createDiscordAdapter } = await import('../../adapters/discord/index.js');
    adapters.push(
      createDiscordAdapter({ bot, config, logger, status, onFatal: fatal, ...(live ? { live } : {}) }),
    );
  }
  if (config.SLACK_BOT_TOKEN) {
    const { createSlackAdapter } = await import('../../adapters/slack/index.js');
    adapters.push(createSlackAdapter({ bot, config, logger, status, ...(live ? { live } : {}) }));
  }
  if (!chat) {
    const { createConsoleAdapter } = await import('../../adapters/console/index.js');
    const terminal = createConsoleAdapter({ bot, config, logger });
    consoleDone = terminal.finished;
    adapters.push(terminal);
  }

  let ops: OpsServer | undefined;
  const shutdown = (reason: string) =>
    (stopping ??= (async () => {
      logger.info(`shutting down (${reason})`, { deadlineMs: config.LOOKALIKE_SHUTDOWN_TIMEOUT_MS });
      shutdownState.inProgress = true;
      accepting = false; // new requests get "restarting, try again in a minute"
      ops?.draining();
      const deadline = setTimeout(() => {
        logger.warn('shutdown deadline passed: exiting with work unfinished (it resumes on the next start)');
        process.exit(exitCode);
      }, config.LOOKALIKE_SHUTDOWN_TIMEOUT_MS);
      deadline.unref();
      // Adapters finish the replies in flight, then close their connections; jobs stop at a safe point.
      await Promise.allSettled(adapters.map((a) => a.stop()));
      await live?.close();
      await bot.close();
      await leases.close();
      await remembered.close();
      await store.close();
      // After a switch the configured model is the one in use (the old one was closed at the swap).
      await model.embedder.close();
      if (switchTo && switchTo !== model.embedder) await switchTo.close();
      await reader?.close();
      await ops?.close();
      clearTimeout(deadline);
      logger.info('stopped');
    })());
  process.once('SIGINT', () => void shutdown('SIGINT').then(() => process.exit(exitCode)));
  process.once('SIGTERM', () => void shutdown('SIGTERM').then(() => process.exit(exitCode)));

  if (config.LOOKALIKE_HTTP_PORT !== undefined) {
    const platforms = adapters.map((a) => a.platform).filter((p) => p !== 'console');
    ops = await startOpsServer({
      host: config.LOOKALIKE_HTTP_HOST,
      port: config.LOOKALIKE_HTTP_PORT,
      metrics,
      logger,
      readiness: () => readiness(store, model.embedder.modelId, status, platforms),
    }).catch(async (error: unknown) => {
      await shutdown('ops listener failed');
      throw error;
    });
  }

  logger.info(`starting lookalike on ${adapters.map((a) => a.platform).join(' and ')}`);
  try {
    for (const adapter of adapters) await adapter.start();
  } catch (error) {
    await shutdown('start failed');
    throw error;
  }
  if (consoleDone) {
    await consoleDone;
    await shutdown('console input ended');
  }
}

/**
 * The model the bot searches with: the configured one, unless the index holds another. Then the index's own model
 * serves (when it is in the model cache) and the configured one waits for an admin's `/reindex full`, which
 * switches the index to it without downtime. Without the index's model at hand, ensureIndex refuses as before.
 */
async function servingModel(
  config: Config,
  configured: Embedder,
  store: VectorStore,
  logger: Logger,
): Promise<{ embedder: Embedder; switchTo?: Embedder }> {
  const held = await store.stats();
  if (held.modelId === undefined || held.modelId === configured.modelId) return { embedder: configured };
  const opened = await openStampedEmbedder(config, held.modelId);
  const stamped = opened && measuredEmbedder(opened);
  if (!stamped) {
    logger.warn(
      `index ${held.index} holds model ${held.modelId}, which is not in the model cache: this bot cannot serve it ` +
        `while switching to ${configured.modelId}`,
    );
    return { embedder: configured };
  }
  logger.info(
    `index ${held.index} holds model ${held.modelId}: serving with it until an admin's /reindex full switches ` +
      `the index to the configured ${configured.modelId}`,
  );
  return { embedder: stamped, switchTo: configured };
}

/** /readyz: the model is loaded (it is, once the bot runs), the store answers with this model's stamp, platforms are connected. */
async function readiness(
  store: Pick<import('../store/types.js').VectorStore, 'stats'>,
  modelId: string,
  status: ConnectionStatus,
  platforms: string[],
): Promise<Record<string, PartStatus>> {
  const storePart = await checkWithin(3_000, async () => {
    const stats = await store.stats();
    if (stats.modelId !== undefined && stats.modelId !== modelId) {
      return {
        ready: false,
        state: 'wrong model',
        detail: `index made by ${stats.modelId}, model is ${modelId}`,
      };
    }
    return {
      ready: true,
      state: 'reachable',
      detail: `${stats.backend} ${stats.index}, ${stats.count} images`,
    };
  });
  const connections = status.snapshot();
  const parts: Record<string, PartStatus> = {
    model: { ready: true, state: 'loaded', detail: modelId },
    store: storePart,
  };
  for (const platform of platforms) {
    parts[platform] = connections[platform] ?? { ready: false, state: 'not started' };
  }
  return parts;
}
