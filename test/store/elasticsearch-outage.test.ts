// A chat user waiting on a search hears about an outage within about 2 s, while indexing rides out a short
// one with its retries. The store talks to the real server through a proxy that the test closes (the port
// then refuses connections), reopens on the same port, or makes hang.
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import type { VectorStore } from '../../src/store/types.js';
import { ServiceError } from '../../src/util/errors.js';
import {
  adminClient,
  dropIndices,
  makeDocs,
  startProxy,
  testConfig,
  type Proxy,
} from './elasticsearch-support.js';

const dims = 16;
const scope = { tenant: 'guild-1' };

/** How long `work` took to settle, and its error if it failed. */
async function timed(work: Promise<unknown>): Promise<{ ms: number; error?: unknown }> {
  const started = Date.now();
  try {
    await work;
    return { ms: Date.now() - started };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

describe('Elasticsearch store: searches during an outage', () => {
  let admin: Client;
  let proxy: Proxy;
  let hang = false;
  let store: VectorStore;
  const config = testConfig();
  const docs = makeDocs(20, dims, 3);
  const query = { vector: docs[4]!.image_embedding, k: 3, scope };
  const listen = (port?: number) =>
    startProxy((req) => (hang && req.url?.includes('_search') ? 'hang' : undefined), port);

  beforeAll(async () => {
    admin = adminClient();
    proxy = await listen();
    store = await createElasticsearchStore({ ...config, ELASTICSEARCH_URL: proxy.url });
    await store.ensureIndex({ dims, modelId: 'test-model' });
    expect((await store.upsert(docs)).failed).toEqual([]);
    await admin.indices.refresh({ index: config.LOOKALIKE_INDEX });
  });

  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await dropIndices(admin, config.LOOKALIKE_INDEX);
    await admin?.close();
  });

  it('fails a search fast when the server refuses connections, while a write waits for it to return', async () => {
    expect((await store.knn(query))[0]?.image_id).toBe('img-4');
    await proxy.close();

    const search = await timed(store.knn(query));
    expect(search.error).toBeInstanceOf(ServiceError);
    expect(String(search.error)).toMatch(/cannot reach Elasticsearch/);
    expect(search.ms).toBeLessThan(2_000);

    // The same outage, one second long, seen by a write: it retries and lands once the server is back.
    const writing = store.upsert(
      makeDocs(10, dims, 4).map((d) => ({ ...d, image_id: `late-${d.image_id}` })),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    proxy = await listen(proxy.port);
    expect(await writing).toEqual({ written: 10, failed: [] });

    expect((await store.knn(query))[0]?.image_id).toBe('img-4');
  });

  it('gives up on a search the server does not answer after about 2 s, without a retry', async () => {
    hang = true;
    try {
      const search = await timed(store.knn(query));
      expect(search.error).toBeInstanceOf(ServiceError);
      expect(String(search.error)).toMatch(/did not answer in time/);
      expect(search.ms).toBeGreaterThanOrEqual(1_900);
      expect(search.ms).toBeLessThan(3_000);
    } finally {
      hang = false;
    }
    expect((await store.knn(query))[0]?.image_id).toBe('img-4');
  });

  it('answers within the budget when one of two nodes hangs, by sending the search to the other after 1 s', async () => {
    let hungSearches = 0;
    const slow = await startProxy((req) => {
      if (!req.url?.includes('_search')) return undefined;
      hungSearches++;
      return 'hang';
    });
    const twoNodes = await createElasticsearchStore({
      ...config,
      ELASTICSEARCH_URL: `${slow.url},${proxy.url}`,
    });
    try {
      for (let i = 0; i < 6; i++) {
        const search = await timed(twoNodes.knn(query));
        expect(search.error).toBeUndefined();
        // 1 s on the hanging node, then the other node's answer (without the hedge: a failure after 2 s).
        expect(search.ms).toBeLessThan(1_800);
      }
      expect((await twoNodes.knn(query))[0]?.image_id).toBe('img-4');
      // Round robin sent some of them to the hanging node first: the hedge answered those.
      expect(hungSearches).toBeGreaterThan(0);
    } finally {
      await twoNodes.close();
      await slow.close();
    }
  });
});
