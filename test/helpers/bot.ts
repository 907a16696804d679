// A real bot for tests: the tiny CLIP fixture model on onnxruntime, a real embedded store in a temporary
// LOOKALIKE_DATA_DIR, and the real command set. Shared by the bot, console and chat adapter tests.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { commands as chatCommands } from '../../commands/index.js';
import type { Command } from '../../src/bot/command.js';
import { createBot, type BotOptions } from '../../src/bot/create.js';
import type { Bot, CommandRequest } from '../../src/bot/types.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { indexSource, type TextReader } from '../../src/indexer/index-source.js';
import type { SessionStore } from '../../src/search/sessions.js';
import type { Leases } from '../../src/store/leases/types.js';
import type { IndexReport } from '../../src/indexer/types.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { describeSource, openSourceRegistry } from '../../src/indexer/source-registry.js';
import { openStore } from '../../src/store/open.js';
import type { VectorStore } from '../../src/store/types.js';
import { createLogger, type Logger } from '../../src/util/log.js';

const root = path.resolve(import.meta.dirname, '../..');
export const tinyModelDir = path.join(root, 'test/fixtures/tiny-clip');
export const fixtureImagesDir = path.join(root, 'test/fixtures/images');
export const derivedImagesDir = path.join(root, 'test/fixtures/derived');
/** The four decodable photos, as a folder of their own (the edge cases in images/ are for decoder tests). */
export const photoNames = ['photo-cat.jpg', 'photo-china.jpg', 'photo-coffee.jpg', 'photo-flower.jpg'];

/** A temporary data folder, removed by the returned function. */
export async function tempDir(prefix = 'lookalike-test-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A temporary folder holding copies of the fixture photos (add `extra` files from fixtures/images). */
export async function photoFolder(extra: string[] = []): Promise<{ dir: string; remove(): Promise<void> }> {
  const folder = await tempDir('lookalike-photos-');
  for (const name of [...photoNames, ...extra]) {
    await copyFile(path.join(fixtureImagesDir, name), path.join(folder.dir, name));
  }
  return folder;
}

/** Configuration for a test: the tiny model, an embedded store in `dataDir`, one inference thread. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return parseConfig({
    LOOKALIKE_MODEL_DIR: tinyModelDir,
    LOOKALIKE_DATA_DIR: dataDir,
    LOOKALIKE_CACHE_DIR: path.join(dataDir, 'cache'),
    LOOKALIKE_STORE: 'embedded',
    LOOKALIKE_THREADS: '1',
    ...env,
  });
}

/** The real logger (secrets redacted) writing into a list, so tests can assert what was logged. */
export function memoryLogger(config: Config): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(
    createLogger(config, (line) => void lines.push(line)),
    { lines },
  );
}

export interface TestBot {
  bot: Bot;
  config: Config;
  embedder: Embedder;
  store: VectorStore;
  logger: Logger & { lines: string[] };
  dataDir: string;
  /** Closes bot, store and model and removes the data folder. */
  close(): Promise<void>;
}

export interface TestBotOptions {
  env?: Record<string, string>;
  commands?: readonly Command[];
  /** Use this store instead of the embedded one (closed with the bot). */
  store?: (config: Config) => Promise<VectorStore>;
  /** Passed through to createBot. */
  bot?: Partial<Pick<BotOptions, 'batching' | 'inferenceConcurrency'>>;
  /** Remembered searches for createBot, made once the store is open (default: in memory). */
  sessions?: () => SessionStore;
  /** Leases for createBot, made once the store is open (default: none). */
  leases?: () => Leases;
  /** Wraps the real embedder, e.g. to count its calls. */
  embedder?: (real: Embedder) => Embedder;
}

/** A real bot on the tiny model and a fresh embedded store (index created, nothing indexed). */
export async function createTestBot(options: TestBotOptions = {}): Promise<TestBot> {
  const data = await tempDir();
  const config = testConfig(data.dir, options.env);
  const logger = memoryLogger(config);
  const real = await openEmbedder(config);
  const embedder = options.embedder ? options.embedder(real) : real;
  const store = await (options.store ?? openStore)(config);
  await store.ensureIndex({ dims: embedder.dims, modelId: embedder.modelId });
  const bot = createBot({
    config,
    embedder,
    store,
    logger,
    commands: options.commands ?? chatCommands,
    ...(options.sessions && { sessions: options.sessions() }),
    ...(options.leases && { leases: options.leases() }),
    ...options.bot,
  });
  return {
    bot,
    config,
    embedder,
    store,
    logger,
    dataDir: data.dir,
    async close() {
      await bot.close();
      await store.close();
      await real.close();
      await data.remove();
    },
  };
}

/**
 * Indexes a folder the way `lookalike index` does (recorded in the source registry), for `tenant`; with a
 * reader, the words in the images are read too.
 */
export async function indexFolder(
  test: Pick<TestBot, 'config' | 'store' | 'embedder'>,
  folder: string,
  tenant = '*',
  reader?: TextReader,
): Promise<IndexReport> {
  const registry = openSourceRegistry(test.config);
  const descriptor = await describeSource(folder, { tenant });
  const report = await indexSource({
    source: await registry.open(descriptor),
    store: test.store,
    embedder: test.embedder,
    ...(reader && { reader }),
  });
  await registry.record(descriptor, { report });
  return report;
}

/** A request from an ordinary member of `tenant` (override any field). */
export function requestFrom(
  command: string,
  options: CommandRequest['options'] = {},
  fields: Partial<CommandRequest> = {},
): CommandRequest {
  return {
    command,
    options,
    actor: { id: 'user-1', name: 'User One', isAdmin: false },
    tenant: 'guild-1',
    ...fields,
  };
}
