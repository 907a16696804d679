// Searches keep answering at 20 a second while a node of the 3-node cluster is killed and started again:
// a few may fail fast with "try again", none hangs, and the bot uses the healed cluster without a restart.
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unavailableText } from '../../src/bot/errors.js';
import { openStore } from '../../src/store/open.js';
import { createTestBot, indexFolder, photoFolder, requestFrom, type TestBot } from '../helpers/bot.js';
import { dropIndices, uniqueAlias } from '../store/elasticsearch-support.js';
import {
  clusterClient,
  clusterUrl,
  healCluster,
  killNode,
  masterNode,
  nodesHolding,
  nodeNumbers,
  startNode,
  type NodeNumber,
} from './cluster.js';
import { findWithoutImages, searchLoad, summary, timeline } from './load.js';

const perSecond = 20;
/**
 * The store gives a search 2 s: a failure must reach the person soon after. Any answer must come well
 * before the bot's own 20 s command timeout (none hangs); embedding and queueing on a machine shared with
 * other test runs (load 15+ on 2 cores) add up to a couple of seconds to either.
 */
const failureWithinMs = 4_000;
const answerWithinMs = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cluster: a node killed while searches run', () => {
  const alias = uniqueAlias();
  let admin: Client;
  let test: TestBot;
  let photos: { dir: string; remove(): Promise<void> };
  const find = requestFrom('find', { text: 'a cat' });

  beforeAll(async () => {
    admin = clusterClient();
    test = await createTestBot({
      env: {
        LOOKALIKE_STORE: 'elasticsearch',
        ELASTICSEARCH_URL: clusterUrl(),
        LOOKALIKE_INDEX: alias,
        LOOKALIKE_RATE_PER_USER_PER_MINUTE: '100000',
        LOOKALIKE_RATE_PER_TENANT_PER_MINUTE: '100000',
      },
      store: openStore,
      commands: [findWithoutImages],
    });
    photos = await photoFolder();
    await indexFolder(test, photos.dir);
    await admin.indices.refresh({ index: alias });
    await admin.cluster.health({ index: alias, wait_for_status: 'green', timeout: '60s' });
  });

  afterAll(async () => {
    await healCluster();
    await test?.close();
    await photos?.remove();
    await dropIndices(admin, alias);
    await admin?.close();
  });

  /** 3 s of searches, the kill, 8 s on two nodes, the restart, then 3 s on the healed cluster. */
  async function searchThroughKill(victim: NodeNumber) {
    expect((await test.bot.handle(find)).kind).toBe('results');
    // Warm up at full rate first: the first burst on a busy machine is slow for reasons of its own.
    const warm = searchLoad(test.bot, find, perSecond);
    await sleep(2_000);
    await warm.stop();
    const load = searchLoad(test.bot, find, perSecond);
    await sleep(3_000);
    await killNode(victim);
    const killedAt = load.now();
    await sleep(8_000);
    await startNode(victim);
    await healCluster();
    await admin.cluster.health({ index: alias, wait_for_status: 'green', timeout: '120s' });
    const healedAt = load.now();
    await sleep(3_000);
    const outcomes = await load.stop();
    const report = `${summary(outcomes)}; killed node ${victim} at ${killedAt} ms, healed at ${healedAt} ms\n${timeline(outcomes)}`;

    expect(outcomes.length, report).toBeGreaterThan(perSecond * 12);
    for (const { reply, ms } of outcomes) {
      expect(ms, report).toBeLessThan(answerWithinMs);
      if (reply.kind === 'results') continue;
      expect(reply, report).toEqual({ kind: 'error', text: unavailableText });
      expect(ms, report).toBeLessThan(failureWithinMs);
    }
    // A few may fail while the client learns the node is gone; the rest answer.
    const failed = outcomes.filter((o) => o.reply.kind !== 'results');
    expect(failed.length, report).toBeLessThanOrEqual(outcomes.length * 0.05);
    // Before the kill and on the healed cluster, every search answers.
    const calm = outcomes.filter((o) => o.at < killedAt || o.at > healedAt);
    expect(
      calm.filter((o) => o.reply.kind !== 'results'),
      report,
    ).toEqual([]);
    console.log(`[cluster] ${report}`);
  }

  it('keeps answering when a data node holding the index dies, and heals without a restart', async () => {
    const master = await masterNode(admin);
    const holders = await nodesHolding(admin, alias);
    const victim = holders.find((n) => n !== master) ?? nodeNumbers.find((n) => n !== master)!;
    await searchThroughKill(victim);
  });

  it('keeps answering when the elected master dies, and heals without a restart', async () => {
    const master = await masterNode(admin);
    await searchThroughKill(master);
    expect(await masterNode(admin)).not.toBe(master);
  });
});
