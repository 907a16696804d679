// Two bot processes on one Elasticsearch index, as behind a load balancer: a `more` or "similar to #n"
// that lands on the other bot continues the search the first one answered (sessions live beside the index).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/bot/types.js';
import { openSessions, type OpenedSessions } from '../../src/search/open-sessions.js';
import { indexLeasePrefix } from '../../src/indexer/index-source.js';
import { openLeases } from '../../src/store/leases/open.js';
import type { Leases } from '../../src/store/leases/types.js';
import { openStore } from '../../src/store/open.js';
import {
  createTestBot,
  indexFolder,
  photoFolder,
  photoNames,
  requestFrom,
  type TestBot,
} from '../helpers/bot.js';
import { adminClient, dropIndices, elasticsearchUrl, uniqueAlias } from '../store/elasticsearch-support.js';

type Results = Extract<Reply, { kind: 'results' }>;
function results(reply: Reply): Results {
  if (reply.kind !== 'results') throw new Error(`expected results, got ${JSON.stringify(reply)}`);
  return reply;
}
const ids = (reply: Reply) => results(reply).hits.map((h) => h.hit.image_id);

describe('two bot processes on one Elasticsearch index', () => {
  const alias = uniqueAlias();
  const bots: { test: TestBot; remembered: OpenedSessions; leases: Leases }[] = [];
  let photos: { dir: string; remove(): Promise<void> };
  const env = {
    LOOKALIKE_STORE: 'elasticsearch',
    ELASTICSEARCH_URL: elasticsearchUrl(),
    LOOKALIKE_INDEX: alias,
  };

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      // What `lookalike start` does for each process: sessions and leases for the configured store.
      let remembered: OpenedSessions | undefined;
      let leases: Leases | undefined;
      const test = await createTestBot({
        env,
        store: async (config) => {
          remembered = await openSessions(config);
          leases = await openLeases(config);
          return openStore(config);
        },
        sessions: () => remembered!.sessions,
        leases: () => leases!,
      });
      bots.push({ test, remembered: remembered!, leases: leases! });
    }
    photos = await photoFolder();
    await indexFolder(bots[0]!.test, photos.dir, 'guild-1');
    const admin = adminClient();
    await admin.indices.refresh({ index: alias });
    await admin.close();
  });

  afterAll(async () => {
    for (const { test, remembered, leases } of bots) {
      await test.close();
      await remembered.close();
      await leases.close();
    }
    await photos?.remove();
    const admin = adminClient();
    const sessions = Object.keys(await admin.indices.get({ index: `${alias}_sessions-*` }));
    if (sessions.length > 0) await admin.indices.delete({ index: sessions.join(',') });
    await admin.indices.delete({ index: `${alias}_leases` }, { ignore: [404] });
    await dropIndices(admin, alias);
    await admin.close();
  });

  it('pages on the other bot, with the button’s cursor and without one', async () => {
    const [a, b] = [bots[0]!.test.bot, bots[1]!.test.bot];
    const first = results(await a.handle(requestFrom('find', { text: 'coffee', count: 2 })));
    expect(first.cursor).toBeDefined();
    const second = await b.handle(requestFrom('more', { cursor: first.cursor }));
    expect(results(second).hits.map((h) => h.rank)).toEqual([3, 4]);
    expect(new Set([...ids(first), ...ids(second)]).size).toBe(photoNames.length);
    // Without a cursor: the latest search of this person, wherever it ran; it has nothing left.
    expect(await a.handle(requestFrom('more'))).toEqual({
      kind: 'text',
      text: 'No more results for “coffee”.',
    });
    // Another tenant never sees it.
    expect(await b.handle(requestFrom('more', { cursor: first.cursor }, { tenant: 'guild-2' }))).toEqual({
      kind: 'error',
      text: 'Those results have expired; run the search again.',
    });
  });

  it('finds "similar to #3" on the other bot', async () => {
    const [a, b] = [bots[0]!.test.bot, bots[1]!.test.bot];
    const shown = ids(await a.handle(requestFrom('find', { text: 'a flower', count: 4 })));
    const similar = await b.handle(requestFrom('similar', { result: '3', count: 1 }));
    expect(ids(similar)).toEqual([shown[2]]);
    expect(results(similar).title).toBe('images like result #3 of “a flower”');
  });

  it('shows in /status on one bot an index run that the other process holds', async () => {
    const running = 'An indexing job is running here now.';
    const status = async () => {
      const reply = await bots[1]!.test.bot.handle(requestFrom('status'));
      return reply.kind === 'text' ? reply.text : JSON.stringify(reply);
    };
    expect(await status()).not.toContain(running);
    // The claim an index run of the first process takes on its source (src/indexer/index.ts).
    const lease = await bots[0]!.leases.acquire(`${indexLeasePrefix('guild-1')}folder:${photos.dir}`);
    try {
      expect(await status()).toContain(running);
      await expect(bots[1]!.leases.acquire(lease.key)).rejects.toThrow(/is being indexed by .* since/);
    } finally {
      await lease.release();
    }
    expect(await status()).not.toContain(running);
  });
});
