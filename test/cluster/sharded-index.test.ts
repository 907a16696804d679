// `lookalike index --shard i/3` as three processes at once into the 3-node cluster ends in exactly the
// documents (ids, paths, duplicates folded, vectors) of one unsharded run.
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import { tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli, startCli } from '../helpers/cli.js';
import { sliceState } from '../indexer/helpers/stores.js';
import { generatedFolder } from '../indexer/helpers/tree.js';
import { dropIndices, uniqueAlias } from '../store/elasticsearch-support.js';
import { clusterClient, clusterUrl } from './cluster.js';

const shards = 3;

describe('cluster: sharded indexing', () => {
  const whole = uniqueAlias();
  const sharded = uniqueAlias();
  let admin: Client;
  let folder: Awaited<ReturnType<typeof generatedFolder>>;
  let data: Awaited<ReturnType<typeof tempDir>>;

  // Each process has its own data folder, as it would on its own machine; they share only the cluster.
  const env = (alias: string, name: string) =>
    isolatedEnv(`${data.dir}/${name}`, {
      LOOKALIKE_STORE: 'elasticsearch',
      ELASTICSEARCH_URL: clusterUrl(),
      LOOKALIKE_INDEX: alias,
    });

  /** Everything a document holds, per id, vector included. */
  async function contents(alias: string) {
    const store = await createElasticsearchStore(
      parseConfig({ ELASTICSEARCH_URL: clusterUrl(), LOOKALIKE_INDEX: alias }),
    );
    try {
      const state = await sliceState(store, '*', `folder:${folder.root}`);
      const ids = state.map((line) => line.split(' ')[0] as string);
      const vectors = await store.getVectors(ids, { tenant: '*' });
      return { state, vectors: ids.map((id) => [id, Array.from(vectors.get(id) ?? [])]) };
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    admin = clusterClient();
    data = await tempDir();
    folder = await generatedFolder(120, 12);
  });

  afterAll(async () => {
    for (const alias of [whole, sharded]) {
      await dropIndices(admin, alias);
      // The runs' leases (src/store/leases) live beside the index.
      await admin.indices.delete({ index: `${alias}_leases` }, { ignore: [404] });
    }
    await admin?.close();
    await folder?.remove();
    await data?.remove();
  });

  it('ends in the documents of one unsharded run', async () => {
    const one = await runCli(['index', folder.root], env(whole, 'whole'), '', 180_000);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('132 new, 0 updated, 0 unchanged, 0 deleted, 0 failed');

    const runs = Array.from({ length: shards }, (_, i) =>
      startCli(['index', folder.root, '--shard', `${i}/${shards}`], env(sharded, `shard-${i}`), 180_000),
    );
    for (const run of runs) run.child.stdin.end();
    const results = await Promise.all(runs.map((r) => r.exited));
    for (const result of results) expect(result.code, result.stderr).toBe(0);

    const expected = await contents(whole);
    expect(expected.state).toHaveLength(120); // the 12 copies are folded into other_paths
    expect(await contents(sharded)).toEqual(expected);
  });
});
