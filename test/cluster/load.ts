// A steady stream of searches through the real bot, recording how each one ended and how long it took.
import { find } from '../../commands/find.js';
import type { Command } from '../../src/bot/command.js';
import type { Bot, CommandRequest, Reply } from '../../src/bot/types.js';
import type { TestBot } from '../helpers/bot.js';

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
