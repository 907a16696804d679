// Embedded store benchmark: recall@10 against brute force, p50/p95 latency of scoped and filtered kNN,
// write throughput (synchronous FULL vs NORMAL), load time, disk size, RSS, reindex swap time, a SIGKILL
// crash check, and sqlite-vec's scoped scan for comparison. Results: bench/embedded-store.md.
//
//   node bin/run-ts.js scripts/bench/stores-embedded.ts [--rows 100000] [--dims 512] [--queries 200]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { createEmbeddedStore, embeddedStoreFile } from '../../src/store/embedded/index.js';
import type { Synchronous } from '../../src/store/embedded/database.js';
import type { VectorStore } from '../../src/store/types.js';
import {
  benchDoc,
  benchModel as modelId,
  groundTruth,
  loadAverage,
  measureKnn,
  ms,
  percentile,
  placement,
  rowOf,
  scenarios,
  vectors,
  type Kind,
} from './vectors.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    dims: { type: 'string', default: '512' },
    queries: { type: 'string', default: '200' },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});
const rows = Number(args.rows);
const dims = Number(args.dims);
const queryCount = Number(args.queries);
const index = 'bench';
const threads = os.availableParallelism();
const batchSize = 256;

const doc = (i: number, matrix: Float32Array, row = i) => benchDoc(i, matrix, dims, row);

// ---------- helpers ----------

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const dirBytes = (dir: string) => readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);

async function writeAll(
  store: VectorStore,
  matrix: Float32Array,
  count: number,
  batch: number,
): Promise<number> {
  const start = process.hrtime.bigint();
  for (let from = 0; from < count; from += batch) {
    const docs = Array.from({ length: Math.min(batch, count - from) }, (_, j) => doc(from + j, matrix));
    const result = await store.upsert(docs);
    if (result.failed.length > 0) throw new Error(JSON.stringify(result.failed[0]));
  }
  return ms(start);
}

async function measureQueries(store: VectorStore, matrix: Float32Array, queries: Float32Array) {
  const results = [];
  for (const s of scenarios) {
    const truth = groundTruth(matrix, dims, queries, s);
    await measureKnn(store, queries, dims, truth, s); // warm-up
    results.push({
      scenario: s.name,
      rowsSeen: truth.seen,
      ...(await measureKnn(store, queries, dims, truth, s)),
    });
  }
  return results;
}

/** The longest time the event loop (queries, chat events) waited while `work` ran. */
async function longestStall(work: Promise<unknown>): Promise<number> {
  let done = false;
  const finished = work.finally(() => (done = true));
  let last = performance.now();
  let worst = 0;
  while (!done) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }
  await finished;
  return worst;
}

/** Opens the store in a fresh process: load time and RSS without this process's copies of the data. */
function childLoad(dir: string): Promise<{ loadMs: number; baseMB: number; rssMB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        'bin/run-ts.js',
        import.meta.filename,
        '--child',
        'load',
        '--dir',
        dir,
        '--dims',
        String(dims),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load child exited ${code}`)),
    );
  });
}

/** Kills a writer child at a random point of a bulk write, reopens, checks integrity and whole batches. */
async function crashCheck(dir: string, base: number, rounds: number) {
  const outcomes = [];
  for (let round = 0; round < rounds; round++) {
    const reported = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          'bin/run-ts.js',
          import.meta.filename,
          '--child',
          'write',
          '--dir',
          dir,
          '--dims',
          String(dims),
          '--rows',
          String(base),
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let n = 0;
      const killAfter = 2 + round;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const before = n;
        n += chunk.split('\n').filter((l) => l.startsWith('committed')).length;
        if (before < killAfter && n >= killAfter) setTimeout(() => child.kill('SIGKILL'), Math.random() * 40);
      });
      child.on('exit', (_code, signal) =>
        signal === 'SIGKILL' ? resolve(n) : reject(new Error('writer was not killed')),
      );
    });
    const store = await createEmbeddedStore({ dataDir: dir, index, threads });
    const count = (await store.stats()).count;
    await store.close();
    const db = new Database(embeddedStoreFile(dir, index), { readonly: true });
    const integrity = db.pragma('integrity_check', { simple: true });
    db.close();
    const extra = count - base;
    outcomes.push({
      reported,
      committed: extra / batchSize,
      integrity,
      whole: extra % batchSize === 0 && extra / batchSize >= reported,
    });
  }
  return outcomes;
}

async function syncComparison() {
  const data = vectors('random', 20_000, dims, 99);
  const out = [];
  for (const synchronous of ['NORMAL', 'FULL'] as Synchronous[]) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lookalike-bench-sync-'));
    const store = await createEmbeddedStore({ dataDir: dir, index, threads, synchronous });
    await store.ensureIndex({ dims, modelId });
    const bulk = await writeAll(store, data, 20_000, batchSize);
    const small = process.hrtime.bigint();
    for (let b = 0; b < 100; b++) {
      await store.upsert(
        Array.from({ length: 16 }, (_, j) => doc(20_000 + b * 16 + j, data, (b * 16 + j) % 20_000)),
      );
    }
    out.push({
      synchronous,
      docsPerSecond: Math.round(20_000 / (bulk / 1000)),
      msPerBatchOf16: ms(small) / 100,
    });
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** sqlite-vec vec0 with the tenant as partition key: the SQL-only alternative, same data and scope. */
function sqliteVecScan(matrix: Float32Array, queries: Float32Array) {
  const db = new Database(':memory:');
  sqliteVec.load(db);
  db.exec(
    `CREATE VIRTUAL TABLE v USING vec0(tenant text partition key, channel text, embedding float[${dims}] distance_metric=cosine)`,
  );
  const insert = db.prepare('INSERT INTO v (rowid, tenant, channel, embedding) VALUES (?, ?, ?, ?)');
  const start = process.hrtime.bigint();
  db.transaction(() => {
    for (let i = 0; i < rows; i++) {
      const p = placement(i);
      insert.run(BigInt(i), p.tenant, p.channel_id ?? '', Buffer.from(matrix.buffer, i * dims * 4, dims * 4));
    }
  })();
  const buildMs = ms(start);
  const search = db.prepare('SELECT rowid FROM v WHERE embedding MATCH ? AND k = 10 AND tenant = ?');
  const latencies: number[] = [];
  for (let qi = 0; qi < Math.min(queryCount, 50); qi++) {
    const q = rowOf(queries, dims, qi);
    const t = process.hrtime.bigint();
    search.all(Buffer.from(q.buffer), 'big');
    latencies.push(ms(t));
  }
  db.close();
  latencies.sort((a, b) => a - b);
  return { buildMs, p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) };
}

// ---------- child modes ----------

if (args.child === 'load') {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  gc();
  const baseMB = Number(mb(process.memoryUsage().rss));
  const start = process.hrtime.bigint();
  const store = await createEmbeddedStore({ dataDir: args.dir!, index, threads });
  const loadMs = ms(start);
  gc();
  process.stdout.write(JSON.stringify({ loadMs, baseMB, rssMB: Number(mb(process.memoryUsage().rss)) }));
  await store.close();
  process.exit(0);
}
if (args.child === 'write') {
  const store = await createEmbeddedStore({ dataDir: args.dir!, index, threads });
  const data = vectors('random', batchSize * 40, dims, Date.now());
  for (let b = 0; ; b++) {
    const docs = Array.from({ length: batchSize }, (_, j) =>
      doc(rows + b * batchSize + j, data, (b % 40) * batchSize + j),
    );
    await store.upsert(docs);
    process.stdout.write(`committed ${b}\n`);
  }
}

// ---------- main ----------

console.log(
  `# embedded store bench: ${rows} x ${dims}, ${queryCount} queries per scenario, ${os.cpus().length} cores, Node ${process.version}, load average ${loadAverage()}\n`,
);

for (const kind of ['random', 'low-rank'] as Kind[]) {
  const genStart = process.hrtime.bigint();
  const matrix = vectors(kind, rows, dims, 1);
  const queries = vectors(kind, queryCount, dims, 2);
  console.log(`## ${kind} (generated in ${(ms(genStart) / 1000).toFixed(1)} s)\n`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'lookalike-bench-'));
  let store = await createEmbeddedStore({ dataDir: dir, index, threads });
  await store.ensureIndex({ dims, modelId });
  const writeMs = await writeAll(store, matrix, rows, batchSize);
  await store.close();
  const diskBytes = dirBytes(path.join(dir, 'store'));
  const loaded = await childLoad(dir);

  store = await createEmbeddedStore({ dataDir: dir, index, threads });
  const results = await measureQueries(store, matrix, queries);

  // Rebuild a slice of the 10% tenant and one of the 50% tenant; the commit is what queries in this
  // process wait for. Half of each rebuilt slice keeps its image ids, half is new images.
  const commits: string[] = [];
  for (const tenant of ['small', 'big']) {
    const sliceRows = Array.from({ length: rows }, (_, i) => i).filter((i) => {
      const p = placement(i);
      return p.tenant === tenant && p.source === 'folder:/a';
    });
    const reindex = await store.beginReindex({ tenant, source: 'folder:/a' });
    for (let from = 0; from < sliceRows.length; from += batchSize) {
      const docs = sliceRows.slice(from, from + batchSize).map((i) => doc(i, matrix));
      for (const d of docs.filter((_, j) => j % 2)) d.image_id = `${d.image_id}-new`;
      await reindex.upsert(docs);
    }
    const commitStart = process.hrtime.bigint();
    const stall = await longestStall(store.commitReindex(reindex));
    commits.push(
      `${sliceRows.length} docs: ${ms(commitStart).toFixed(0)} ms in all, longest stall ${stall.toFixed(0)} ms`,
    );
  }
  await store.close();

  console.log(`| scenario | rows searched | recall@10 | p50 ms | p95 ms |`);
  console.log(`|---|---|---|---|---|`);
  for (const r of results) {
    console.log(
      `| ${r.scenario} | ${r.rowsSeen} | ${r.recall.toFixed(4)} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} |`,
    );
  }
  console.log();
  console.log(
    `- bulk write (batches of ${batchSize}, synchronous FULL): ${(writeMs / 1000).toFixed(1)} s = ${Math.round(rows / (writeMs / 1000))} docs/s`,
  );
  console.log(
    `- on disk: ${mb(diskBytes)} MB; open + load into memory (fresh process): ${(loaded.loadMs / 1000).toFixed(2)} s, RSS after load and GC ${loaded.rssMB} MB (${loaded.baseMB} MB before opening)`,
  );
  console.log(`- reindex commit (slice of ${commits.join('; slice of ')})`);
  if (kind === 'random') {
    const crashes = await crashCheck(dir, rows, 5);
    const ok = crashes.filter((c) => c.integrity === 'ok' && c.whole).length;
    console.log(
      `- SIGKILL during bulk writes (${crashes.length} rounds): ${ok}/${crashes.length} reopened with integrity_check ok and only whole batches (${crashes.map((c) => `${c.committed} committed / ${c.reported} reported`).join(', ')})`,
    );
    const vec = sqliteVecScan(matrix, queries);
    console.log(
      `- sqlite-vec vec0 (tenant partition key, cosine), tenant 50%, no filter: p50 ${vec.p50.toFixed(1)} ms, p95 ${vec.p95.toFixed(1)} ms, build ${(vec.buildMs / 1000).toFixed(1)} s`,
    );
  }
  console.log();
  rmSync(dir, { recursive: true, force: true });
}

console.log(`## synchronous FULL vs NORMAL (20,000 x ${dims} in batches of 256, then 100 batches of 16)\n`);
console.log('| synchronous | bulk docs/s | ms per batch of 16 |');
console.log('|---|---|---|');
for (const s of await syncComparison())
  console.log(`| ${s.synchronous} | ${s.docsPerSecond} | ${s.msPerBatchOf16.toFixed(2)} |`);
console.log(`\nload average at the end: ${loadAverage()}`);
