// How cost grows with size: load rate, size on disk and in memory, recall@10 against exact filtered search
// and p50 / p95 latency, for the embedded store (exact below its index threshold, its inverted-file index
// above, a --probes sweep) and Elasticsearch (int8_hnsw and bbq_hnsw with rescoring, a num_candidates sweep),
// unfiltered and with the filters the search language makes (channel, author, date range, type, source),
// each keeping 1% and 10% of the documents, at each of --sizes (one index per store grown from size to size,
// so the curve costs one load of the largest size). Also what the SearchService adds per answer: the
// relevance cut and near-copy folding over its 100 candidates (src/search/relevance.ts, near-copies.ts).
// Results written to --out: bench/scale-embedded.md, bench/scale-cluster.md and bench/scale-100k.md hold the
// runs the README sizing section is drawn from.
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
import {
  createEmbeddedStore,
  embeddedStoreFile,
  type EmbeddedStore,
} from '../../src/store/embedded/index.js';
import { defaultAnnSettings } from '../../src/store/embedded/ivf.js';
import { foldNearCopies } from '../../src/search/near-copies.js';
import { relevanceCut } from '../../src/search/relevance.js';
import { maxResultDepth } from '../../src/search/service.js';
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
    /** Scopes to measure (names as in the tables, comma-separated), or all. */
    filters: { type: 'string', default: 'all' },
    /** Lists the embedded store's index probes per unfiltered query (its accuracy knob). */
    probes: { type: 'string', default: String(defaultAnnSettings.probes) },
    out: { type: 'string', default: 'bench/scale.md' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const dims = Number(args.dims);
const queryCount = Number(args.queries);
const types = args.types.split(',') as ('int8_hnsw' | 'bbq_hnsw')[];
const ncs = args.nc.split(',').map(Number);
const stores = args.stores.split(',');
const probeSweep = args.probes.split(',').map(Number);
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

// What the filters test, independent of each other and of the vectors: channel and source decide the embedded
// store's partitions, author, date and type are tested row by row. Each has a value held by 1% of documents
// and a set of values held by 10%.
const day = 24 * 60 * 60 * 1000;
const epoch = Date.UTC(2020, 0, 1);
/** Uniform in [0, 1), fixed per (document, attribute). */
const draw = (i: number, attribute: number) => seeded(i * 7919 + attribute * 104729 + 13)();
const channelOf = (i: number) => (i % 100 === 7 ? 'rare' : i % 10 === 3 ? 'tenth' : 'common');
const sourceOf = (i: number) => {
  const u = draw(i, 1);
  return u < 0.01 ? 'folder:/rare' : u < 0.11 ? 'folder:/tenth' : 'folder:/bench';
};
const authorOf = (i: number) => `u${Math.floor(draw(i, 2) * 100)}`;
/** 100 periods of 30 days: one period holds 1% of the documents. */
const dateOf = (i: number) => epoch + Math.floor(draw(i, 3) * 100 * 30 * day);
const formatOf = (i: number) => {
  const u = draw(i, 4);
  return u < 0.01 ? 'gif' : u < 0.11 ? 'png' : 'jpeg';
};
const docOf = (i: number, vector: Float32Array): ImageDocument => ({
  image_id: `img-${i}`,
  image_name: `img-${i}.jpg`,
  relative_path: `photos/${i}.jpg`,
  source: sourceOf(i),
  tenant,
  channel_id: channelOf(i),
  author_id: authorOf(i),
  date: dateOf(i),
  date_kind: 'taken',
  format: formatOf(i),
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
const tenAuthors = Array.from({ length: 10 }, (_, n) => `u${n}`);
const allScopes: Scope[] = [
  { name: 'unfiltered', visible: () => true },
  { name: 'channel 1%', filter: { channel_id: ['rare'] }, visible: (i) => channelOf(i) === 'rare' },
  { name: 'channel 10%', filter: { channel_id: ['tenth'] }, visible: (i) => channelOf(i) === 'tenth' },
  { name: 'author 1%', filter: { author_id: ['u0'] }, visible: (i) => authorOf(i) === 'u0' },
  { name: 'author 10%', filter: { author_id: tenAuthors }, visible: (i) => tenAuthors.includes(authorOf(i)) },
  {
    name: 'date 1%',
    filter: { date: { from: epoch, until: epoch + 30 * day } },
    visible: (i) => dateOf(i) < epoch + 30 * day,
  },
  {
    name: 'date 10%',
    filter: { date: { from: epoch + 300 * day, until: epoch + 600 * day } },
    visible: (i) => dateOf(i) >= epoch + 300 * day && dateOf(i) < epoch + 600 * day,
  },
  { name: 'type 1%', filter: { format: ['gif'] }, visible: (i) => formatOf(i) === 'gif' },
  { name: 'type 10%', filter: { format: ['png'] }, visible: (i) => formatOf(i) === 'png' },
  { name: 'source 1%', filter: { source: ['folder:/rare'] }, visible: (i) => sourceOf(i) === 'folder:/rare' },
  {
    name: 'source 10%',
    filter: { source: ['folder:/tenth'] },
    visible: (i) => sourceOf(i) === 'folder:/tenth',
  },
];
const scopes =
  args.filters === 'all' ? allScopes : allScopes.filter((s) => args.filters.split(',').includes(s.name));

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
  /** num_candidates (Elasticsearch), `probes N` (the embedded store's index) or `exact`. */
  knob: string;
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
/** What the SearchService adds to one answer over its candidates (unfiltered queries, k = maxResultDepth). */
interface ShapeRow {
  store: string;
  size: number;
  /** Relevance cut + near-copy folding, computed over the candidates. */
  computeP50: number;
  computeP95: number;
  /** The one getVectors call folding needs (a store round trip for Elasticsearch). */
  vectorsP50: number;
  vectorsP95: number;
  load: string;
}
const rows: Row[] = [];
const shapeRows: ShapeRow[] = [];
const sizeRows: SizeRow[] = [];

/** One query as the bot asks it, with the store's knob set (numCandidates for Elasticsearch). */
type Ask = (q: Float32Array, k: number, filter: DocFilter | undefined) => ReturnType<VectorStore['knn']>;

async function measure(
  store: VectorStore,
  name: string,
  size: number,
  truth: Map<string, Set<string>[]>,
  knobs: { label: string; ask: Ask }[],
) {
  for (const scope of scopes) {
    for (const knob of knobs) {
      const run = async () => {
        const latencies: number[] = [];
        let found = 0;
        let wanted = 0;
        let failed = 0;
        for (const [qi, q] of queries.entries()) {
          const t = process.hrtime.bigint();
          const hits = await knob.ask(q, 10, scope.filter).catch(() => {
            failed++;
            return [];
          });
          latencies.push(ms(t));
          const exact = truth.get(scope.name)![qi]!;
          wanted += exact.size;
          found += hits.filter((h) => exact.has(h.image_id)).length;
        }
        latencies.sort((a, b) => a - b);
        return {
          recall: found / Math.max(1, wanted),
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
        knob: knob.label,
        ...m,
        load: os.loadavg()[0]!.toFixed(1),
      });
      console.log(
        `${name} ${size} ${scope.name} ${knob.label}: recall ${m.recall.toFixed(3)} p50 ${m.p50.toFixed(1)} p95 ${m.p95.toFixed(1)} (load ${loadAverage()})`,
      );
    }
  }
  await measureShaping(store, name, size, knobs[0]!.ask);
}

/**
 * The answer shaping the SearchService does after the kNN (service.ts `shaped`): the relevance cut over the
 * candidates' scores, one getVectors for those kept, then folding near-copies (cosine 0.97, the default).
 */
async function measureShaping(store: VectorStore, name: string, size: number, ask: Ask) {
  const compute: number[] = [];
  const fetch: number[] = [];
  for (let round = 0; round < 2; round++) {
    compute.length = 0;
    fetch.length = 0;
    for (const q of queries) {
      const ranked = await ask(q, maxResultDepth, undefined);
      let t = process.hrtime.bigint();
      const kept = ranked.slice(0, relevanceCut(ranked.map((h) => h.score)));
      let spent = ms(t);
      t = process.hrtime.bigint();
      const vectors = await store.getVectors(
        kept.map((h) => h.image_id),
        { tenant },
      );
      fetch.push(ms(t));
      t = process.hrtime.bigint();
      foldNearCopies(
        kept.flatMap((hit) => {
          const vector = vectors.get(hit.image_id);
          return vector ? [{ item: hit, vector }] : [];
        }),
        0.97,
      );
      spent += ms(t);
      compute.push(spent);
    }
  }
  compute.sort((a, b) => a - b);
  fetch.sort((a, b) => a - b);
  const row = {
    store: name,
    size,
    computeP50: percentile(compute, 0.5),
    computeP95: percentile(compute, 0.95),
    vectorsP50: percentile(fetch, 0.5),
    vectorsP95: percentile(fetch, 0.95),
    load: os.loadavg()[0]!.toFixed(1),
  };
  shapeRows.push(row);
  console.log(
    `${name} ${size} shaping: cut+fold p95 ${row.computeP95.toFixed(2)} ms, getVectors p95 ${row.vectorsP95.toFixed(2)} ms`,
  );
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

const embeddedNotes: string[] = [];

async function benchEmbedded(truths: Map<number, Map<string, Set<string>[]>>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lookalike-scale-'));
  const open = () =>
    createEmbeddedStore({ dataDir: dir, index: 'scale', threads: os.availableParallelism() });
  try {
    let store: EmbeddedStore = await open();
    await store.ensureIndex({ dims, modelId: 'bench-model' });
    let have = 0;
    for (const size of sizes) {
      const rssBefore = process.memoryUsage().rss;
      const seconds = await grow(store, have, size, 2_000);
      const built = process.hrtime.bigint();
      await store.indexed();
      const buildSeconds = ms(built) / 1000;
      const added = size - have;
      have = size;
      const details = (await store.stats()).details;
      const indexed = Number(details.indexedPartitions);
      sizeRows.push({
        store: 'embedded',
        size,
        loadSeconds: seconds,
        docsPerSecond: added / seconds,
        diskMB: mb(filesBytes(embeddedStoreFile(dir, 'scale'))),
        memoryMB: mb(Number(details.vectorMemoryBytes)),
        memoryNote:
          `vectors in memory (${dims} x 4 bytes each, with spare capacity); RSS grew ${mb(process.memoryUsage().rss - rssBefore)} MB; ` +
          `${indexed} of ${String(details.partitions)} partitions indexed` +
          (indexed > 0 ? `, index built in ${buildSeconds.toFixed(1)} s after the load (background)` : ''),
      });
      const probing = (probes: number) => ({
        label: `probes ${probes}`,
        ask: ((q, k, filter) => {
          store.tuneAnn({ probes });
          return store.knn({ vector: q, k, scope: { tenant }, ...(filter && { filter }) });
        }) as Ask,
      });
      const exact = {
        label: 'exact',
        ask: ((q, k, filter) =>
          store.knn({ vector: q, k, scope: { tenant }, ...(filter && { filter }) })) as Ask,
      };
      await measure(
        store,
        'embedded',
        size,
        truths.get(size)!,
        indexed > 0 ? probeSweep.map(probing) : [exact],
      );
      store.tuneAnn({ probes: defaultAnnSettings.probes });
    }
    // What opening the file costs: the SQLite rows read into memory, then the index rebuilt in the background.
    await store.close();
    let t = process.hrtime.bigint();
    store = await open();
    const openSeconds = ms(t) / 1000;
    t = process.hrtime.bigint();
    await store.indexed();
    embeddedNotes.push(
      `Opening the ${have}-document file again: ${openSeconds.toFixed(1)} s to read the vectors into memory ` +
        `(exact search answers from then on), ${(ms(t) / 1000).toFixed(1)} s more to rebuild the index in the ` +
        `background (load ${loadAverage()}).`,
    );
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
      await measure(
        store,
        name,
        size,
        truths.get(size)!,
        ncs.map((nc) => ({
          label: String(nc),
          ask: ((q, k, filter) =>
            store.knn({
              vector: q,
              k,
              scope: { tenant },
              numCandidates: nc,
              ...(filter && { filter }),
            })) as Ask,
        })),
      );
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
  "Filters: channel and source (the embedded store's partitions), author, date range and type (tested per row),",
  'each with a value kept by 1% and a set kept by 10% of the documents, independent of the vectors. Queries: stored',
  'rows with a little noise, k = 10, one at a time, timed around `store.knn` as the bot calls it. Recall@10 is',
  'against brute force over the documents the filter keeps.',
  `Machine: 2 cores shared with other engineers' test runs; load average ${loadAtStart} at the start,`,
  `${loadAverage()} at the end (1 / 5 / 15 min); the "load" column is the 1-minute figure per row.`,
  `Run time ${fmt((Date.now() - started) / 60_000)} min.`,
  '',
  'Command:',
  '',
  '```',
  `ELASTICSEARCH_URL=${process.env.ELASTICSEARCH_URL ?? ''} node bin/run-ts.js scripts/bench/scale.ts --sizes ${args.sizes} --queries ${queryCount} --types ${args.types} --nc ${args.nc} --probes ${args.probes} --stores ${args.stores} --filters '${args.filters}' --out ${args.out}`,
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
  ...embeddedNotes.flatMap((note) => [note, '']),
  '## Recall and latency',
  '',
  'num_candidates for Elasticsearch; for the embedded store `exact` (below its index threshold) or the lists its',
  'index probes per unfiltered query (a filtered one probes on until as many rows passed its filter).',
  '',
  '| store | documents | scope | num_candidates / probes | recall@10 | p50 ms | p95 ms | failed (2 s) | load |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.store} | ${r.size} | ${r.scope} | ${r.knob} | ${r.recall.toFixed(3)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${r.failed} | ${r.load} |`,
  ),
  '',
  `## What the answer shaping adds (relevance cut + near-copy folding over ${maxResultDepth} candidates)`,
  '',
  'As the SearchService does it after the kNN, unfiltered queries: the cut and the folding computed over the',
  "candidates, and the one getVectors call that fetches the kept candidates' vectors for the folding.",
  '',
  '| store | documents | cut + fold p50 ms | p95 ms | getVectors p50 ms | p95 ms | load |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...shapeRows.map(
    (r) =>
      `| ${r.store} | ${r.size} | ${fmt(r.computeP50, 2)} | ${fmt(r.computeP95, 2)} | ${fmt(r.vectorsP50, 2)} | ${fmt(r.vectorsP95, 2)} | ${r.load} |`,
  ),
  '',
];
writeFileSync(args.out, lines.join('\n'));
console.log(`wrote ${args.out}`);
