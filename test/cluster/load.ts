// A bot searching an index of the photo fixtures on the cluster, and a steady stream of searches through it,
// recording how each one ended and how long it took.
import type { Client } from '@elastic/elasticsearch';
import { find } from '../../commands/find.js';
import type { Command } from '../../src/bot/command.js';
import type { Bot, CommandRequest, Reply } from '../../src/bot/types.js';
import { openStore } from '../../src/store/open.js';
import { createTestBot, indexFolder, photoFolder, type TestBot } from '../helpers/bot.js';
import { dropIndices } from '../store/elasticsearch-support.js';
import { clusterClient, clusterUrl, healCluster } from './cluster.js';

/**
 * `/find` as the bot runs it (gates, queue, text embedding, kNN on the cluster, error replies) but answering
 * with the hit ids instead of drawing contact sheets: drawing 20 sheets a second would measure sharp on a
 * shared 2-core machine, not the cluster.
 */
export const findWithoutImages: Command = {
  ...find,
  async run(context) {
    const vector = await context.search.textVector(String(context.options.text));
    const page = await context.search.page(vector, context.scope, 0, Number(context.options.count));
    return {
      kind: 'results',
      title: 'ids',
      hits: [],
      images: [],
      notes: [],
      cursor: page.hits.map((h) => h.image_id).join(),
    };
  },
};

export interface ClusterSearchBot {
  admin: Client;
  test: TestBot;
  /** Heals the cluster, then removes the bot, the photos and the index. */
  close(): Promise<void>;
}

/**
 * A bot (without rate limits) that answers `find` with findWithoutImages from `alias`, a new index of the photo
 * fixtures on the cluster: returned once the index is green and a search has answered.
 */
export async function clusterSearchBot(
  alias: string,
  find: CommandRequest,
  store: typeof openStore = openStore,
): Promise<ClusterSearchBot> {
  const admin = clusterClient();
  const test = await createTestBot({
    env: {
      LOOKALIKE_STORE: 'elasticsearch',
      ELASTICSEARCH_URL: clusterUrl(),
      LOOKALIKE_INDEX: alias,
      LOOKALIKE_RATE_PER_USER_PER_MINUTE: '100000',
      LOOKALIKE_RATE_PER_TENANT_PER_MINUTE: '100000',
    },
    store,
    commands: [findWithoutImages],
  });
  const photos = await photoFolder();
  const close = async () => {
    await healCluster();
    await test.close();
    await photos.remove();
    await dropIndices(admin, alias);
    await admin.close();
  };
  try {
    await indexFolder(test, photos.dir);
    await admin.indices.refresh({ index: alias });
    await admin.cluster.health({ index: alias, wait_for_status: 'green', timeout: '60s' });
    await answering(test, find);
  } catch (error) {
    await close();
    throw error;
  }
  return { admin, test, close };
}

/**
 * Asks once a second until a search answers (at most `withinMs`): the first searches on a new index, or on
 * nodes that just started, can outlast the 2 s budget while the JVMs compile and fill their caches.
 */
export async function answering(test: TestBot, request: CommandRequest, withinMs = 90_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const reply = await test.bot.handle(request);
    if (reply.kind === 'results') return;
    if (Date.now() - started > withinMs) {
      throw new Error(`no search answered within ${withinMs} ms: ${JSON.stringify(reply)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

export interface Outcome {
  /** When it was sent, ms since the load started. */
  at: number;
  ms: number;
  reply: Reply;
}

export interface SearchLoad {
  /** Everything sent so far that has answered. */
  outcomes: Outcome[];
  /** Stops sending and waits for the searches in flight. */
  stop(): Promise<Outcome[]>;
  /** Ms since the load started. */
  now(): number;
}

/** Sends `request` `perSecond` times a second, without waiting for earlier ones to answer. */
export function searchLoad(bot: Bot, request: CommandRequest, perSecond: number): SearchLoad {
  const started = Date.now();
  const now = () => Date.now() - started;
  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const at = now();
    const search = bot.handle(request).then((reply) => void outcomes.push({ at, ms: now() - at, reply }));
    inFlight.add(search);
    void search.finally(() => inFlight.delete(search));
  }, 1000 / perSecond);
  return {
    outcomes,
    now,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return outcomes.sort((a, b) => a.at - b.at);
    },
  };
}

/** A short account of a load run, for assertion messages. */
export function summary(outcomes: Outcome[]): string {
  const failed = outcomes.filter((o) => o.reply.kind !== 'results');
  const slowest = Math.max(...outcomes.map((o) => o.ms));
  const texts = [...new Set(failed.map((o) => ('text' in o.reply ? o.reply.text : o.reply.kind)))];
  return `${outcomes.length} searches, ${failed.length} failed (${texts.join(' | ')}), slowest ${slowest} ms`;
}

/** Per second of the run: searches sent, how many failed, the slowest (for a failure's message). */
export function timeline(outcomes: Outcome[]): string {
  const seconds = new Map<number, { sent: number; failed: number; slowest: number }>();
  for (const o of outcomes) {
    const s = seconds.get(Math.floor(o.at / 1000)) ?? { sent: 0, failed: 0, slowest: 0 };
    s.sent++;
    if (o.reply.kind !== 'results') s.failed++;
    s.slowest = Math.max(s.slowest, o.ms);
    seconds.set(Math.floor(o.at / 1000), s);
  }
  return [...seconds]
    .map(([second, s]) => `${second}s: ${s.sent} sent, ${s.failed} failed, slowest ${s.slowest} ms`)
    .join('\n');
}
