import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, dropIndices, elasticsearchUrl, uniqueAlias } from './elasticsearch-support.js';

const root = path.resolve(import.meta.dirname, '../..');
const total = 6_000;
const batch = 250;

// The child writes `total` deterministic documents in batches and prints a line after each batch.
const writer = `
import { parseConfig } from './src/config/load.ts';
import { createElasticsearchStore } from './src/store/elasticsearch/index.ts';
import { makeDocs } from './test/store/elasticsearch-support.ts';
const store = await createElasticsearchStore(parseConfig(process.env));
await store.ensureIndex({ dims: 64, modelId: 'test-model' });
const docs = makeDocs(${total}, 64, 3);
for (let i = 0; i < docs.length; i += ${batch}) {
  const result = await store.upsert(docs.slice(i, i + ${batch}));
  if (result.failed.length > 0) throw new Error(JSON.stringify(result.failed[0]));
  console.log('batch', i / ${batch});
}
await store.close();
`;

function startWriter(alias: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writer], {
    cwd: root,
    env: { ...process.env, ELASTICSEARCH_URL: elasticsearchUrl(), LOOKALIKE_INDEX: alias },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('Elasticsearch store: a writer killed mid-bulk', () => {
  let client: Client;
  const alias = uniqueAlias();

  beforeAll(() => {
    client = adminClient();
  });

  afterAll(async () => {
    await dropIndices(client, alias);
    await client?.close();
  });

  it('leaves a partial index that a re-run completes, with no duplicates', async () => {
    const first = startWriter(alias);
    // Kill it hard after its second batch: the third is then in flight or about to be.
    await new Promise<void>((resolve, reject) => {
      let lines = 0;
      first.child.stdout.on('data', (chunk: Buffer) => {
        lines += chunk
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('batch')).length;
        if (lines >= 2) {
          first.child.kill('SIGKILL');
          resolve();
        }
      });
      first.exited.then((code) =>
        reject(new Error(`writer ended before the kill (${code}): ${first.stderr()}`)),
      );
    });
    await first.exited;
    await client.indices.refresh({ index: alias });
    const partial = (await client.count({ index: alias })).count;
    expect(partial).toBeGreaterThanOrEqual(2 * batch);
    expect(partial).toBeLessThan(total);

    const second = startWriter(alias);
    expect(await second.exited, second.stderr()).toBe(0);
    await client.indices.refresh({ index: alias });
    expect((await client.count({ index: alias })).count).toBe(total);
    // Every expected id is there once: as many documents as ids, and each id found.
    const expected = Array.from({ length: total }, (_, i) => `img-${i}`);
    const found = await client.count({ index: alias, query: { terms: { image_id: expected } } });
    expect(found.count).toBe(total);
  }, 120_000);
});
