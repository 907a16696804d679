// One index run per source across processes: a lease in Elasticsearch that a second run is refused by,
// that renewals keep, and that lapses by itself when its holder is SIGKILLed.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elasticsearchLeaseBackend } from '../../src/store/elasticsearch/leases.js';
import { LeaseHeldError, leasesOn } from '../../src/store/leases/hold.js';
import type { Leases } from '../../src/store/leases/types.js';
import { tempDir } from '../helpers/bot.js';
import { isolatedEnv, startCli } from '../helpers/cli.js';
import { generatedFolder } from '../indexer/helpers/tree.js';
import { dropIndices, uniqueAlias } from '../store/elasticsearch-support.js';
import { clusterClient, clusterUrl } from './cluster.js';

const root = path.resolve(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cluster: leases on index runs', () => {
  const alias = uniqueAlias();
  let admin: Client;
  const opened: Leases[] = [];
  /** A process's leases: its own client, as another process would have. */
  const leasesOf = (holder: string, ttlMs: number) => {
    const client = new Client({ nodes: clusterUrl().split(',') });
    const leases = leasesOn(elasticsearchLeaseBackend(client, alias, 'the cluster'), ttlMs, holder);
    opened.push(leases);
    return leases;
  };
  const refusal = (leases: Leases, key: string) =>
    leases.acquire(key).then(
      () => undefined,
      (error: unknown) => error,
    );

  beforeAll(() => {
    admin = clusterClient();
  });
  afterAll(async () => {
    for (const leases of opened) await leases.close();
    await admin.indices.delete({ index: `${alias}_leases` }, { ignore: [404] });
    await dropIndices(admin, alias);
    await admin?.close();
  });

  it('refuses a second holder, naming the first, and keeps the key while renewing', async () => {
    // A TTL of seconds: renewals every third of it must land on a machine whose load (15+ on 2 cores) can
    // stall a request for seconds, so 9 s rather than less.
    const ttlMs = 9_000;
    const a = leasesOf('process A', ttlMs);
    const b = leasesOf('process B', ttlMs);
    const lease = await a.acquire('guild-1 folder:/photos');
    // Several renewals, and more than one TTL, pass while B keeps being refused.
    const started = Date.now();
    while (Date.now() - started < ttlMs + 2_000) {
      const error = await refusal(b, 'guild-1 folder:/photos');
      expect(error).toBeInstanceOf(LeaseHeldError);
      expect(String(error)).toMatch(/is being indexed by process A since .*expires 9 s after it stopped/);
      await sleep(1_500);
    }
    expect(lease.lost.aborted).toBe(false);
    // Another source is free.
    await (await b.acquire('guild-1 folder:/other')).release();
    await lease.release();
    await (await b.acquire('guild-1 folder:/photos')).release();
  });

  it('lapses by itself when its holder dies', async () => {
    const holder = `
      import { Client } from '@elastic/elasticsearch';
      import { elasticsearchLeaseBackend } from './src/store/elasticsearch/leases.ts';
      import { leasesOn } from './src/store/leases/hold.ts';
      const client = new Client({ nodes: process.env.ELASTICSEARCH_URL.split(',') });
      const leases = leasesOn(elasticsearchLeaseBackend(client, '${alias}', 'the cluster'), 3000, 'the doomed');
      await leases.acquire('guild-1 folder:/doomed');
      console.log('holding');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', holder], {
      cwd: root,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout.on('data', () => resolve()));
    child.kill('SIGKILL');
    const killedAt = Date.now();

    const b = leasesOf('process B', 3_000);
    expect(String(await refusal(b, 'guild-1 folder:/doomed'))).toMatch(/by the doomed/);
    let lease;
    while (!lease) {
      lease = await b.acquire('guild-1 folder:/doomed').catch(() => undefined);
      if (!lease) await sleep(250);
    }
    const waited = Date.now() - killedAt;
    expect(waited).toBeLessThan(5_000);
    await lease.release();
  });

  it('refuses a second `lookalike index` of the same folder while the first runs', async () => {
    const folder = await generatedFolder(150);
    const data = await tempDir();
    const env = (name: string) =>
      isolatedEnv(path.join(data.dir, name), {
        LOOKALIKE_STORE: 'elasticsearch',
        ELASTICSEARCH_URL: clusterUrl(),
        LOOKALIKE_INDEX: alias,
        LOOKALIKE_CONCURRENCY: '1',
        LOOKALIKE_BATCH_SIZE: '1',
      });
    try {
      const first = startCli(['index', folder.root], env('first'), 180_000);
      first.child.stdin.end();
      // The lease is taken before the folder is listed, so once the first run is indexing it holds it.
      while (!first.output().stderr.includes('Indexing')) {
        expect(first.output().code).toBeNull();
        await sleep(100);
      }
      const second = startCli(['index', folder.root], env('second'), 180_000);
      second.child.stdin.end();
      const refused = await second.exited;
      expect(first.output().code, 'the first run ended before the second was answered').toBeNull();
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/is being indexed by .* \(pid \d+\) since/);
      expect((await first.exited).code).toBe(0);
    } finally {
      await folder.remove();
      await data.remove();
    }
  });
});
