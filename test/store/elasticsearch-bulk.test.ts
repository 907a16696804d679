import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import { ServiceError } from '../../src/util/errors.js';
import { adminClient, dropIndices, makeDocs, startProxy, testConfig } from './elasticsearch-support.js';

const dims = 32;
const spec = { dims, modelId: 'test-model' };
const scope = { tenant: 'guild-1' };

describe('Elasticsearch store: writes under failure', () => {
  let client: Client;
  const aliases: string[] = [];

  beforeAll(() => {
    client = adminClient();
  });

  afterAll(async () => {
    for (const alias of aliases) await dropIndices(client, alias);
    await client?.close();
  });

  it('reports each document the server or the checks reject, and writes the rest', async () => {
    const config = testConfig();
    aliases.push(config.LOOKALIKE_INDEX);
    const store = await createElasticsearchStore(config);
    try {
      await store.ensureIndex(spec);
      const docs = makeDocs(12, dims);
      docs[4] = { ...docs[4]!, posted_at: 'yesterday afternoon' }; // the server's date parser refuses it
      docs[7] = { ...docs[7]!, image_embedding: new Float32Array(dims + 1).fill(0.1) }; // refused before sending
      const result = await store.upsert(docs);
      expect(result.written).toBe(10);
      expect(result.failed.map((f) => f.image_id).sort()).toEqual(['img-4', 'img-7']);
      expect(result.failed.find((f) => f.image_id === 'img-4')?.reason).toMatch(/posted_at|date/);
      expect(result.failed.find((f) => f.image_id === 'img-7')?.reason).toMatch(/33 dimensions/);
      await client.indices.refresh({ index: config.LOOKALIKE_INDEX });
      expect(await store.count(scope)).toBe(10);
      expect(await store.get(['img-4', 'img-7', 'img-5'])).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('retries bulk requests the cluster rejects with 429 until the write converges', async () => {
    let rejected = 0;
    let forwarded = 0;
    const proxy = await startProxy((req) => {
      if (!req.url?.includes('_bulk')) return undefined;
      if (rejected < 3) {
        rejected++;
        const error = {
          type: 'es_rejected_execution_exception',
          reason: 'rejected execution (queue capacity 200)',
        };
        return { status: 429, body: { error, status: 429 } };
      }
      forwarded++;
      return undefined;
    });
    const config = testConfig({ ELASTICSEARCH_URL: proxy.url });
    aliases.push(config.LOOKALIKE_INDEX);
    const store = await createElasticsearchStore(config, { bulk: { backoffMs: 100 } });
    try {
      await store.ensureIndex(spec);
      const docs = makeDocs(300, dims, 5);
      expect(await store.upsert(docs)).toEqual({ written: 300, failed: [] });
      expect(rejected).toBe(3);
      expect(forwarded).toBeGreaterThanOrEqual(1);
      await client.indices.refresh({ index: config.LOOKALIKE_INDEX });
      expect(await store.count(scope)).toBe(300);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('gives up on a cluster that stays overloaded and reports every document as failed', async () => {
    const proxy = await startProxy((req) =>
      req.url?.includes('_bulk')
        ? { status: 429, body: { error: { type: 'es_rejected_execution_exception' } } }
        : undefined,
    );
    const config = testConfig({ ELASTICSEARCH_URL: proxy.url });
    aliases.push(config.LOOKALIKE_INDEX);
    const store = await createElasticsearchStore(config, { bulk: { backoffMs: 10, attempts: 3 } });
    try {
      await store.ensureIndex(spec);
      const result = await store.upsert(makeDocs(5, dims));
      expect(result.written).toBe(0);
      expect(result.failed).toHaveLength(5);
      expect(result.failed[0]?.reason).toMatch(/gave up after 3 attempts.*429/);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('sends a failing batch at most `attempts` times: the transport does not retry on top', async () => {
    let bulkRequests = 0;
    const proxy = await startProxy((req) => {
      if (!req.url?.includes('_bulk')) return undefined;
      bulkRequests++;
      return { status: 503, body: { error: { type: 'unavailable_shards_exception' }, status: 503 } };
    });
    const config = testConfig({ ELASTICSEARCH_URL: proxy.url });
    aliases.push(config.LOOKALIKE_INDEX);
    const store = await createElasticsearchStore(config, { bulk: { backoffMs: 10, attempts: 3 } });
    try {
      await store.ensureIndex(spec);
      const result = await store.upsert(makeDocs(5, dims));
      expect(result.written).toBe(0);
      expect(result.failed.map((f) => f.image_id).sort()).toEqual([
        'img-0',
        'img-1',
        'img-2',
        'img-3',
        'img-4',
      ]);
      expect(result.failed[0]?.reason).toMatch(/gave up after 3 attempts/);
      expect(bulkRequests).toBe(3);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('says plainly when the server cannot be reached, without waiting on retries', async () => {
    const closed = await startProxy(() => undefined);
    await closed.close(); // a port that was just free: nothing listens there now
    const started = Date.now();
    const withPassword = closed.url.replace('http://', 'http://elastic:s3cret-pass@');
    const failing = createElasticsearchStore(testConfig({ ELASTICSEARCH_URL: withPassword }));
    await expect(failing).rejects.toBeInstanceOf(ServiceError);
    await expect(failing).rejects.toThrow(`cannot reach Elasticsearch at ${closed.url}`);
    await expect(failing).rejects.not.toThrow(/s3cret/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('names the credential settings when the server answers 401, and never echoes the key', async () => {
    const proxy = await startProxy(() => ({
      status: 401,
      body: {
        error: { type: 'security_exception', reason: 'unable to authenticate with provided credentials' },
      },
    }));
    try {
      const config = testConfig({
        ELASTICSEARCH_URL: proxy.url,
        ELASTICSEARCH_API_KEY: 'c2VjcmV0LWtleS12YWx1ZQ==',
      });
      const failing = createElasticsearchStore(config);
      await expect(failing).rejects.toThrow(/rejected the credentials \(401\).*ELASTICSEARCH_API_KEY/);
      await expect(failing).rejects.not.toThrow(/c2VjcmV0/);
    } finally {
      await proxy.close();
    }
  });

  it('refuses a server older than 8.12', async () => {
    const proxy = await startProxy((req) =>
      req.url === '/'
        ? {
            status: 200,
            body: { name: 'old', version: { number: '8.11.4' }, tagline: 'You Know, for Search' },
          }
        : undefined,
    );
    try {
      await expect(createElasticsearchStore(testConfig({ ELASTICSEARCH_URL: proxy.url }))).rejects.toThrow(
        /8\.11\.4 is too old.*8\.12/,
      );
    } finally {
      await proxy.close();
    }
  });
});
