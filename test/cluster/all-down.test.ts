// Every node of the cluster dies, then all come back: the bot says search is unavailable (fast, no hang)
// while they are down, and answers again by itself once they are back, on the data they had.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unavailableText } from '../../src/bot/errors.js';
import { requestFrom, type TestBot } from '../helpers/bot.js';
import { uniqueAlias } from '../store/elasticsearch-support.js';
import { healCluster, killNode, nodeNumbers } from './cluster.js';
import { clusterSearchBot, type ClusterSearchBot } from './load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cluster: all nodes down, then back', () => {
  let searching: ClusterSearchBot;
  let test: TestBot;
  const find = requestFrom('find', { text: 'a cat' });
  const timedFind = async () => {
    const started = Date.now();
    const reply = await test.bot.handle(find);
    return { reply, ms: Date.now() - started };
  };

  beforeAll(async () => {
    searching = await clusterSearchBot(uniqueAlias(), find);
    test = searching.test;
  });

  afterAll(async () => {
    await searching?.close();
  });

  it('says search is unavailable, then recovers by itself', async () => {
    const before = await timedFind();
    expect(before.reply.kind).toBe('results');

    await Promise.all(nodeNumbers.map((n) => killNode(n)));
    for (let i = 0; i < 3; i++) {
      const down = await timedFind();
      expect(down.reply).toEqual({ kind: 'error', text: unavailableText });
      expect(down.ms).toBeLessThan(3_000);
    }
    expect(test.logger.lines.some((l) => l.includes('cannot reach Elasticsearch'))).toBe(true);

    const healing = healCluster();
    // The same bot, never restarted: it asks again until the cluster answers.
    const recoveredWithin = 150_000;
    const started = Date.now();
    let last = await timedFind();
    while (last.reply.kind !== 'results' && Date.now() - started < recoveredWithin) {
      expect(last.reply).toEqual({ kind: 'error', text: unavailableText });
      expect(last.ms).toBeLessThan(3_000);
      await sleep(500);
      last = await timedFind();
    }
    await healing;
    expect(last.reply.kind).toBe('results');
    expect(last.reply).toEqual(before.reply);
    console.log(`[cluster] search answered again ${Date.now() - started} ms after the restart began`);
  });
});
