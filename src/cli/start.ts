import type { Command } from 'commander';
import { createBot } from '../bot/create.js';
import type { ChatAdapter } from '../bot/types.js';
import { loadConfig } from '../config/load.js';
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
import { openStore } from '../store/open.js';
import { createLogger, type Logger } from '../util/log.js';
import { ensureModels } from './models.js';

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
  await ensureModels(config); // first start: fetches the default model unless a model folder is there
  const configured = await openEmbedder(config);
  const store = await openStore(config).catch(async (error: unknown) => {
    await configured.close();
    throw error;
  });
  const { embedder, switchTo } = await servingModel(config, configured, store, logger);
  await store.ensureIndex({ dims: embedder.dims, modelId: embedder.modelId });
  const model = new ActiveModel(embedder);
  const leases = await openLeases(config);
  const remembered = await openSessions(config);
  const reader = await openTextReader(config);

  const chat = Boolean(config.DISCORD_TOKEN || config.SLACK_BOT_TOKEN);
  const { commands, consoleCommands } = await import('../../commands/index.js');
  const channels = new ChatChannels(config.LOOKALIKE_DATA_DIR);
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

  const adapters: ChatAdapter[] = [];
  let consoleDone: Promise<void> | undefined;
  if (config.DISCORD_TOKEN) {
    const { createDiscordAdapter } = await import('../../adapters/discord/index.js');
    adapters.push(createDiscordAdapter({ bot, config, logger, ...(live ? { live } : {}) }));
  }
  if (config.SLACK_BOT_TOKEN) {
    const { createSlackAdapter } = await import('../../adapters/slack/index.js');
    adapters.push(createSlackAdapter({ bot, config, logger, ...(live ? { live } : {}) }));
  }
  if (!chat) {
    const { createConsoleAdapter } = await import('../../adapters/console/index.js');
    const terminal = createConsoleAdapter({ bot, config, logger });
    consoleDone = terminal.finished;
    adapters.push(terminal);
  }

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) =>
    (stopping ??= (async () => {
      logger.info(`shutting down (${reason})`);
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
    })());
  process.once('SIGINT', () => void shutdown('SIGINT').then(() => process.exit(0)));
  process.once('SIGTERM', () => void shutdown('SIGTERM').then(() => process.exit(0)));

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
  const stamped = await openStampedEmbedder(config, held.modelId);
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
