// A data node dies (SIGKILL) in the middle of an index run on the 3-node cluster: the run's bulk writes
// retry on the surviving nodes (the replica becomes primary) and complete; every document is there once.
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import type { VectorStore } from '../../src/store/types.js';
import { dropIndices, makeDocs, uniqueAlias } from '../store/elasticsearch-support.js';
import { clusterClient, clusterUrl, healCluster, killNode, primaryNode } from './cluster.js';

const total = 6_000;
const batch = 250;
const dims = 64;

describe('cluster: a data node killed during an index run', () => {
  const alias = uniqueAlias();
  let admin: Client;
  let store: VectorStore;

  beforeAll(async () => {
    admin = clusterClient();
    store = await createElasticsearchStore(
      parseConfig({ ELASTICSEARCH_URL: clusterUrl(), LOOKALIKE_INDEX: alias }),
    );
    await store.ensureIndex({ dims, modelId: 'test-model' });
    await admin.cluster.health({ index: alias, wait_for_status: 'green', timeout: '60s' });
  });

  afterAll(async () => {
    await healCluster();
    await dropIndices(admin, alias);
    await store?.close();
    await admin?.close();
  });

  it('retries, completes, and holds every document exactly once, on both copies once healed', async () => {
    const victim = await primaryNode(admin, alias);
    const docs = makeDocs(total, dims, 5);
    let killed: Promise<string> | undefined;
    for (let i = 0; i < docs.length; i += batch) {
      // The kill lands while the next bulk requests are in flight.
      if (i === 4 * batch) killed = killNode(victim);
      const result = await store.upsert(docs.slice(i, i + batch));
      expect(result.failed).toEqual([]);
      expect(result.written).toBe(Math.min(batch, total - i));
    }
    await killed;

    await admin.indices.refresh({ index: alias });
    const ids = docs.map((d) => d.image_id);
    expect((await admin.count({ index: alias })).count).toBe(total);
    expect((await admin.count({ index: alias, query: { terms: { image_id: ids } } })).count).toBe(total);
    expect(await primaryNode(admin, alias)).not.toBe(victim);

    // The node comes back on its data; once green, the replica it holds again has the same documents.
    await healCluster();
    await admin.cluster.health({ index: alias, wait_for_status: 'green', timeout: '120s' });
    await admin.indices.refresh({ index: alias });
    const copies = await admin.cat.shards({ index: alias, format: 'json', h: 'prirep,state,docs' });
    expect(copies).toHaveLength(2);
    for (const copy of copies) expect(copy).toMatchObject({ state: 'STARTED', docs: String(total) });
  });
});
