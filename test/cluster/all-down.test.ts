// Every node of the cluster dies, then all come back: the bot says search is unavailable (fast, no hang)
// while they are down, and answers again by itself once they are back, on the data they had.
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unavailableText } from '../../src/bot/errors.js';
import { openStore } from '../../src/store/open.js';
import { createTestBot, indexFolder, photoFolder, requestFrom, type TestBot } from '../helpers/bot.js';
import { dropIndices, uniqueAlias } from '../store/elasticsearch-support.js';
import { clusterClient, clusterUrl, healCluster, killNode, nodeNumbers } from './cluster.js';
import { answering, findWithoutImages } from './load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cluster: all nodes down, then back', () => {
  const alias = uniqueAlias();
  let admin: Client;
  let test: TestBot;
  let photos: { dir: string; remove(): Promise<void> };
  const find = requestFrom('find', { text: 'a cat' });
  const timedFind = async () => {
    const started = Date.now();
    const reply = await test.bot.handle(find);
    return { reply, ms: Date.now() - started };
  };

  beforeAll(async () => {
    admin = clusterClient();
    test = await createTestBot({
      env: {
        LOOKALIKE_STORE: 'elasticsearch',
        ELASTICSEARCH_URL: clusterUrl(),
        LOOKALIKE_INDEX: alias,
        LOOKALIKE_RATE_PER_USER_PER_MINUTE: '100000',
      },
      store: openStore,
      commands: [findWithoutImages],
    });
    photos = await photoFolder();
    await indexFolder(test, photos.dir);
    await admin.indices.refresh({ index: alias });
    await admin.cluster.health({ index: alias, wait_for_status: 'green', timeout: '60s' });
    await answering(test, find);
  });

  afterAll(async () => {
    await healCluster();
    await test?.close();
    await photos?.remove();
    await dropIndices(admin, alias);
    await admin?.close();
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
