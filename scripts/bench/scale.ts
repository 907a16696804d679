// How cost grows with size: load rate, size on disk and in memory, recall@10 against exact search and
// p50 / p95 latency, for the embedded store (exact) and Elasticsearch (int8_hnsw and bbq_hnsw with
// rescoring, a num_candidates sweep), unfiltered and with a 1% filter, at each of --sizes (one index per
// store grown from size to size, so the curve costs one load of the largest size). Results written to --out:
// bench/scale-embedded.md and bench/scale-cluster.md hold the runs the README sizing section is drawn from.
//
//   ELASTICSEARCH_URL=<the 3-node cluster: bash scripts/elasticsearch/cluster.sh urls> \
//     node bin/run-ts.js scripts/bench/scale.ts --sizes 10000,100000 --queries 50
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { parseConfig } from '../../src/config/load.js';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import { createEmbeddedStore, embeddedStoreFile } from '../../src/store/embedded/index.js';
import type { DocFilter, ImageDocument, VectorStore } from '../../src/store/types.js';
import { loadAverage, ms, percentile, rowOf, seeded } from './vectors.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    dims: { type: 'string', default: '512' },
    queries: { type: 'string', default: '50' },
    types: { type: 'string', default: 'int8_hnsw,bbq_hnsw' },
    nc: { type: 'string', default: '50,100,200,500,1000' },
    stores: { type: 'string', default: 'embedded,elasticsearch' },
    out: { type: 'string', default: 'bench/scale.md' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const dims = Number(args.dims);
const queryCount = Number(args.queries);
const types = args.types.split(',') as ('int8_hnsw' | 'bbq_hnsw')[];
const ncs = args.nc.split(',').map(Number);
const stores = args.stores.split(',');
const largest = Math.max(...sizes);
const tenant = 'bench';
const started = Date.now();
const loadAtStart = loadAverage();

// ---------- data: low-rank and clustered, like image embeddings ----------

const gaussian = (random: () => number) =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const rank = 32;
const clusters = 256;
const basisRandom = seeded(7);
const basis = Float32Array.from({ length: rank * dims }, () => gaussian(basisRandom));
const centerRandom = seeded(11);
const centers = Float32Array.from({ length: clusters * rank }, () => gaussian(centerRandom));

/**
 * Row i: a point near one of 256 cluster centres in a 32-dimensional latent space, mapped to `dims`
 * through a fixed random basis, plus a little full-rank noise; unit length. Deterministic per i, so a
 * store is grown row by row without holding the whole matrix of the largest size twice.
 */
function vectorOf(i: number): Float32Array {
  const random = seeded(i * 2654435761 + 1);
  const c = Math.floor(random() * clusters);
  const z = Float32Array.from({ length: rank }, (_, k) => centers[c * rank + k]! + 0.6 * gaussian(random));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let j = 0; j < dims; j++) {
    let x = 0.3 * gaussian(random);
    for (let k = 0; k < rank; k++) x += z[k]! * basis[k * dims + j]!;
    v[j] = x;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let j = 0; j < dims; j++) v[j]! *= scale;
  return v;
}

/** 1% of documents are in channel `rare`: the filtered queries' scope. */
const isRare = (i: number) => i % 100 === 7;
const docOf = (i: number, vector: Float32Array): ImageDocument => ({
  image_id: `img-${i}`,
  image_name: `img-${i}.jpg`,
  relative_path: `photos/${i}.jpg`,
  source: 'folder:/bench',
  tenant,
  channel_id: isRare(i) ? 'rare' : 'common',
  sha256: `sha-${i}`,
  width: 640,
  height: 480,
  bytes: 100_000,
  indexed_at: new Date(0).toISOString(),
  model_id: 'bench-model',
  image_embedding: vector,
});

// The matrix of every row, kept once for ground truth (largest x dims x 4 bytes).
const matrix = new Float32Array(largest * dims);
for (let i = 0; i < largest; i++) matrix.set(vectorOf(i), i * dims);
// Queries: perturbed copies of stored rows (a "more like this" on an image that is near, not in, the index).
const queryRandom = seeded(99);
const queries = Array.from({ length: queryCount }, () => {
  const base = rowOf(matrix, dims, Math.floor(queryRandom() * largest));
  const q = base.map((x) => x + 0.02 * gaussian(queryRandom));
  const n = Math.sqrt(q.reduce((s, x) => s + x * x, 0));
  return q.map((x) => x / n);
});

interface Scope {
  name: string;
  filter?: DocFilter;
  visible: (i: number) => boolean;
}
const scopes: Scope[] = [
  { name: 'unfiltered', visible: () => true },
  { name: '1% filter', filter: { channel_id: ['rare'] }, visible: isRare },
];

function exactTop10(size: number, q: Float32Array, visible: (i: number) => boolean): Set<string> {
  const best: { i: number; s: number }[] = [];
  for (let i = 0; i < size; i++) {
    if (!visible(i)) continue;
    let s = 0;
    for (let j = 0, o = i * dims; j < dims; j++) s += q[j]! * matrix[o + j]!;
    if (best.length < 10 || s > best[9]!.s) {
      best.push({ i, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > 10) best.pop();
    }
  }
  return new Set(best.map((b) => `img-${b.i}`));
}

// ---------- measuring ----------

interface Row {
  store: string;
  size: number;
  scope: string;
  nc?: number;
  recall: number;
  p50: number;
  p95: number;
  /** Searches that failed (the store gives a search 2 s, as a chat user would wait). */
  failed: number;
  load: string;
}
interface SizeRow {
  store: string;
  size: number;
  loadSeconds: number;
  docsPerSecond: number;
  diskMB: number;
  memoryMB: number;
  memoryNote: string;
}
const rows: Row[] = [];
const sizeRows: SizeRow[] = [];

async function measure(store: VectorStore, name: string, size: number, truth: Map<string, Set<string>[]>) {
  for (const scope of scopes) {
    for (const nc of name === 'embedded' ? [undefined] : ncs) {
      const run = async () => {
        const latencies: number[] = [];
        let found = 0;
        let failed = 0;
        for (const [qi, q] of queries.entries()) {
          const t = process.hrtime.bigint();
          const hits = await store
            .knn({
              vector: q,
              k: 10,
              scope: { tenant },
              ...(scope.filter && { filter: scope.filter }),
              ...(nc !== undefined && { numCandidates: nc }),
            })
            .catch(() => {
              failed++;
              return [];
            });
          latencies.push(ms(t));
          const exact = truth.get(scope.name)![qi]!;
          found += hits.filter((h) => exact.has(h.image_id)).length;
        }
        latencies.sort((a, b) => a - b);
        return {
          recall: found / (10 * queries.length),
          p50: percentile(latencies, 0.5),
          p95: percentile(latencies, 0.95),
          failed,
        };
      };
      await run(); // warm-up
      const m = await run();
      rows.push({
        store: name,
        size,
        scope: scope.name,
        ...(nc !== undefined && { nc }),
        ...m,
        load: os.loadavg()[0]!.toFixed(1),
      });
      console.log(
        `${name} ${size} ${scope.name} nc=${nc ?? '-'}: recall ${m.recall.toFixed(3)} p50 ${m.p50.toFixed(1)} p95 ${m.p95.toFixed(1)} (load ${loadAverage()})`,
      );
    }
  }
}

async function grow(store: VectorStore, from: number, to: number, batch: number): Promise<number> {
  const t = process.hrtime.bigint();
  for (let i = from; i < to; i += batch) {
    const docs = Array.from({ length: Math.min(batch, to - i) }, (_, j) =>
      docOf(i + j, rowOf(matrix, dims, i + j)),
    );
    const result = await store.upsert(docs);
    if (result.failed.length > 0) throw new Error(JSON.stringify(result.failed[0]));
  }
  return ms(t) / 1000;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
/** The SQLite file with its write-ahead log and shared-memory file. */
const filesBytes = (file: string) =>
  readdirSync(path.dirname(file))
    .filter((f) => f.startsWith(path.basename(file)))
    .reduce((n, f) => n + statSync(path.join(path.dirname(file), f)).size, 0);

async function benchEmbedded(truths: Map<number, Map<string, Set<string>[]>>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lookalike-scale-'));
  try {
    const store = await createEmbeddedStore({
      dataDir: dir,
      index: 'scale',
      threads: os.availableParallelism(),
    });
    await store.ensureIndex({ dims, modelId: 'bench-model' });
    let have = 0;
    for (const size of sizes) {
      const rssBefore = process.memoryUsage().rss;
      const seconds = await grow(store, have, size, 2_000);
      const added = size - have;
      have = size;
      sizeRows.push({
        store: 'embedded',
        size,
        loadSeconds: seconds,
        docsPerSecond: added / seconds,
        diskMB: mb(filesBytes(embeddedStoreFile(dir, 'scale'))),
        memoryMB: Math.round((size * dims * 4) / 1024 / 1024),
        memoryNote: `vectors in memory (${dims} x 4 bytes each); RSS grew ${mb(process.memoryUsage().rss - rssBefore)} MB`,
      });
      await measure(store, 'embedded', size, truths.get(size)!);
    }
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchElasticsearch(
  truths: Map<number, Map<string, Set<string>[]>>,
  type: (typeof types)[number],
) {
  const url = process.env.ELASTICSEARCH_URL;
  if (!url) throw new Error('set ELASTICSEARCH_URL (bash scripts/elasticsearch/cluster.sh urls)');
  const alias = `lookalike-scale-${type.replace('_', '-')}`;
  const admin = new Client({ nodes: url.split(',') });
  const leftovers = Object.keys(await admin.indices.get({ index: `${alias}-*`, allow_no_indices: true }));
  if (leftovers.length > 0) await admin.indices.delete({ index: leftovers.join(',') });
  const store = await createElasticsearchStore(
    parseConfig({ ELASTICSEARCH_URL: url, LOOKALIKE_INDEX: alias, ELASTICSEARCH_INDEX_TYPE: type }),
  );
  const name = `elasticsearch ${type}`;
  try {
    await store.ensureIndex({ dims, modelId: 'bench-model' });
    let have = 0;
    for (const size of sizes) {
      const loadStart = process.hrtime.bigint();
      await grow(store, have, size, 5_000);
      await admin.indices.refresh({ index: alias });
      const seconds = ms(loadStart) / 1000;
      const added = size - have;
      have = size;
      const stats = await admin.indices.stats({ index: alias, metric: ['store', 'segments'] });
      const total = stats._all.total?.store?.size_in_bytes ?? 0;
      const primaries = stats._all.primaries?.store?.size_in_bytes ?? 0;
      const vectorData = await vectorBytes(admin, alias);
      sizeRows.push({
        store: name,
        size,
        loadSeconds: seconds,
        docsPerSecond: added / seconds,
        diskMB: mb(total),
        memoryMB: mb(vectorData.hot),
        memoryNote:
          `quantised vectors + graph of one copy (page cache); float vectors ${mb(vectorData.floats)} MB, ` +
          `read to rescore; primaries ${mb(primaries)} MB on disk (x2 with the replica)`,
      });
      await measure(store, name, size, truths.get(size)!);
    }
  } finally {
    await store.close();
    await admin.close();
  }
}

/**
 * One copy's vector data as the server counts it (`_stats/dense_vector`): what graph search keeps hot
 * (quantised vectors + HNSW graph), and the float vectors read only to rescore the candidates.
 */
async function vectorBytes(admin: Client, alias: string): Promise<{ hot: number; floats: number }> {
  const stats = (await admin.indices.stats({
    index: alias,
    metric: ['dense_vector'] as never,
  })) as unknown as {
    _all: { primaries: { dense_vector?: { off_heap?: Record<string, number> } } };
  };
  const off = stats._all.primaries.dense_vector?.off_heap ?? {};
  const floats = off.total_vec_size_bytes ?? 0;
  return { hot: (off.total_size_bytes ?? 0) - floats, floats };
}

// ---------- run ----------

const truths = new Map<number, Map<string, Set<string>[]>>();
for (const size of sizes) {
  truths.set(size, new Map(scopes.map((s) => [s.name, queries.map((q) => exactTop10(size, q, s.visible))])));
}
if (stores.includes('embedded')) await benchEmbedded(truths);
if (stores.includes('elasticsearch')) for (const type of types) await benchElasticsearch(truths, type);

const fmt = (n: number, d = 1) => n.toFixed(d);
const lines = [
  '# How cost grows with size (scripts/bench/scale.ts)',
  '',
  `Data: ${dims}-d unit vectors, rank ${rank} latent space with ${clusters} clusters plus noise; one tenant; 1% of`,
  'documents in the filtered channel. Queries: stored rows with a little noise, k = 10, one at a time, timed',
  'around `store.knn` as the bot calls it. Recall@10 is against brute force over the documents the scope sees.',
  `Machine: 2 cores shared with other engineers' test runs; load average ${loadAtStart} at the start,`,
  `${loadAverage()} at the end (1 / 5 / 15 min); the "load" column is the 1-minute figure per row.`,
  `Run time ${fmt((Date.now() - started) / 60_000)} min.`,
  '',
  'Command:',
  '',
  '```',
  `ELASTICSEARCH_URL=${process.env.ELASTICSEARCH_URL ?? ''} node bin/run-ts.js scripts/bench/scale.ts --sizes ${args.sizes} --queries ${queryCount} --types ${args.types} --nc ${args.nc} --stores ${args.stores}`,
  '```',
  '',
  '## Load and size',
  '',
  '| store | documents | load s (this step) | docs/s | disk MB | memory MB | memory is |',
  '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ...sizeRows.map(
    (r) =>
      `| ${r.store} | ${r.size} | ${fmt(r.loadSeconds)} | ${Math.round(r.docsPerSecond)} | ${r.diskMB} | ${r.memoryMB} | ${r.memoryNote} |`,
  ),
  '',
  '## Recall and latency',
  '',
  '| store | documents | scope | num_candidates | recall@10 | p50 ms | p95 ms | failed (2 s) | load |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.store} | ${r.size} | ${r.scope} | ${r.nc ?? 'exact'} | ${r.recall.toFixed(3)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${r.failed} | ${r.load} |`,
  ),
  '',
];
writeFileSync(args.out, lines.join('\n'));
console.log(`wrote ${args.out}`);
