// `lookalike index` stopped the way a service manager stops it (SIGTERM) after its first batch is written:
// it stops promptly at a safe point, says so, records the interrupted run, and a second run ends exactly as
// one uninterrupted run does (nothing lost, nothing duplicated). On both stores: the embedded one, and the real
// Elasticsearch (ES_PORT).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSource } from '../../src/indexer/index-source.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { folderSourceId, openFolderSource } from '../../src/sources/folder.js';
import { tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli, startCli } from '../helpers/cli.js';
import {
  backendConfig,
  backends,
  openTestStore,
  sliceState,
  type TestStore,
} from '../indexer/helpers/stores.js';
import { generatedFolder } from '../indexer/helpers/tree.js';

describe.each(backends)('lookalike index on the %s store stopped with SIGTERM', (backend) => {
  let folder: Awaited<ReturnType<typeof generatedFolder>>;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let embedder: Embedder;
  const opened: TestStore[] = [];

  beforeAll(async () => {
    folder = await generatedFolder(60, 8);
    data = await tempDir();
    embedder = await openEmbedder(backendConfig('embedded', data.dir));
  });
  afterAll(async () => {
    await embedder?.close();
    for (const test of opened) await test.close();
    await folder?.remove();
    await data?.remove();
  });

  it('stops at a safe point, and the next run converges with nothing lost or duplicated', async () => {
    const dir = path.join(data.dir, `${backend}-stopped`);
    const stoppedConfig = backendConfig(backend, dir);
    const env = isolatedEnv(dir, {
      LOOKALIKE_LOG_LEVEL: 'debug',
      LOOKALIKE_STORE: stoppedConfig.LOOKALIKE_STORE,
      ...(backend === 'elasticsearch' && {
        ELASTICSEARCH_URL: stoppedConfig.ELASTICSEARCH_URL!,
        LOOKALIKE_INDEX: stoppedConfig.LOOKALIKE_INDEX,
      }),
    });
    const args = ['index', folder.root, '--batch', '4', '--concurrency', '2'];

    const run = startCli(args, env);
    let signalledAt = 0;
    run.child.stderr.on('data', () => {
      if (!signalledAt && /wrote \d+ documents/.test(run.output().stderr)) {
        signalledAt = Date.now();
        run.child.kill('SIGTERM');
      }
    });
    const stopped = await run.exited;
    expect(signalledAt, `it ended before the signal:\n${stopped.stderr}`).toBeGreaterThan(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('stopping the index run (SIGTERM) at a safe point');
    expect(stopped.stderr).toContain('lookalike: interrupted (SIGTERM): nothing half-written is lost');
    const sources = await readFile(path.join(dir, 'sources.json'), 'utf8');
    expect(sources).toContain('interrupted (SIGTERM)'); // the failed run is recorded for /status

    const second = await runCli(args, env);
    expect(second.code, second.stderr).toBe(0);

    const stoppedStore = await openTestStore(backend, dir, stoppedConfig);
    const cleanDir = path.join(data.dir, `${backend}-clean`);
    const cleanStore = await openTestStore(backend, cleanDir, backendConfig(backend, cleanDir));
    opened.push(stoppedStore, cleanStore);
    const source = await openFolderSource({ root: folder.root, tenant: '*', maxBytes: 50_000_000 });
    await indexSource({ source, store: cleanStore.store, embedder, batchSize: 4, concurrency: 2 });
    await cleanStore.refresh();
    await stoppedStore.refresh();
    const expected = await sliceState(cleanStore.store, '*', folderSourceId(folder.root));
    expect(expected.length).toBeGreaterThan(0);
    expect(await sliceState(stoppedStore.store, '*', folderSourceId(folder.root))).toEqual(expected);
  });
});
