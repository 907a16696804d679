// ELASTICSEARCH_REPLICAS on a 3-node cluster: auto keeps one replica, a number is taken as it is.
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import { dropIndices, uniqueAlias } from '../store/elasticsearch-support.js';
import { clusterClient, clusterUrl } from './cluster.js';

describe('cluster: replicas', () => {
  let admin: Client;
  const aliases: string[] = [];

  beforeAll(() => {
    admin = clusterClient();
  });
  afterAll(async () => {
    for (const alias of aliases) await dropIndices(admin, alias);
    await admin?.close();
  });

  it.each([
    ['auto', 2],
    ['0', 1],
    ['2', 3],
  ])('ELASTICSEARCH_REPLICAS=%s gives %i started copies', async (replicas, copies) => {
    const alias = uniqueAlias();
    aliases.push(alias);
    const store = await createElasticsearchStore(
      parseConfig({
        ELASTICSEARCH_URL: clusterUrl(),
        LOOKALIKE_INDEX: alias,
        ELASTICSEARCH_REPLICAS: replicas,
      }),
    );
    try {
      await store.ensureIndex({ dims: 8, modelId: 'test-model' });
      const health = await admin.cluster.health({ index: alias, wait_for_status: 'green', timeout: '60s' });
      expect(health.active_shards).toBe(copies);
    } finally {
      await store.close();
    }
  });
});
