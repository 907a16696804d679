// Elasticsearch going away under `lookalike index` (its address then refuses connections, as a stopped node's
// does): the run retries with backoff, then stops with a clear non-zero exit naming Elasticsearch, records the
// failed run for /status, and a rerun once it is back converges.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli, startCli } from '../helpers/cli.js';
import { generatedFolder } from '../indexer/helpers/tree.js';
import {
  adminClient,
  dropIndices,
  startProxy,
  uniqueAlias,
  type Proxy,
} from '../store/elasticsearch-support.js';

describe('lookalike index when Elasticsearch goes away mid-run', () => {
  let folder: Awaited<ReturnType<typeof generatedFolder>>;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let proxy: Proxy | undefined;
  const alias = uniqueAlias();

  beforeAll(async () => {
    folder = await generatedFolder(60, 0);
    data = await tempDir();
  });
  afterAll(async () => {
    await proxy?.close();
    const admin = adminClient();
    await dropIndices(admin, alias);
    await admin.close();
    await folder?.remove();
    await data?.remove();
  });

  it('gives up after bounded retries with an error naming Elasticsearch, and a rerun converges', async () => {
    proxy = await startProxy();
    const port = proxy.port;
    const env = (url: string) =>
      isolatedEnv(data.dir, {
        LOOKALIKE_STORE: 'elasticsearch',
        ELASTICSEARCH_URL: url,
        LOOKALIKE_INDEX: alias,
        LOG_LEVEL: 'debug',
      });
    const args = ['index', folder.root, '--batch', '4', '--concurrency', '2'];
    const run = startCli(args, env(proxy.url), 5 * 60_000);
    let stoppedAt = 0;
    run.child.stderr.on('data', () => {
      if (!stoppedAt && /wrote \d+ documents/.test(run.output().stderr)) {
        stoppedAt = Date.now();
        void proxy!.close(); // the node is gone: its port refuses connections
      }
    });
    const result = await run.exited;
    expect(stoppedAt, `it ended before the outage:\n${result.stderr}`).toBeGreaterThan(0);
    expect(result.code).toBe(1);
    expect(Date.now() - stoppedAt).toBeLessThan(120_000);
    // Whichever notices first ends the run naming Elasticsearch: the bulk write's bounded retries, or the
    // source lease that can no longer be renewed.
    expect(result.stderr).toMatch(
      /lookalike: .*(cannot reach Elasticsearch at http:\/\/127\.0\.0\.1:\d+|Elasticsearch at http:\/\/127\.0\.0\.1:\d+.*\(gave up after \d+ attempts\))/,
    );
    const sources = await readFile(path.join(data.dir, 'sources.json'), 'utf8');
    expect(sources).toMatch(/Elasticsearch at http:\/\/127\.0\.0\.1/); // the failed run, for /status

    // Elasticsearch is back (on the same address): the next run finishes the job.
    proxy = await startProxy(undefined, port);
    const rerun = await runCli(args, env(proxy.url));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/0 failed/);
  }, 300_000);
});
