// Elasticsearch store benchmark: for each index type (hnsw, int8_hnsw, bbq_hnsw) and data kind (random,
// low-rank), indexing time through the store's bulk path, then a num_candidates sweep of single tenant-scoped
// queries: recall@10 against brute force in JS, p50/p95 latency as the caller sees it (client included).
// Results: bench/elasticsearch-store.md and .json. Needs a running server (npm run es:start).
//
//   ELASTICSEARCH_URL=http://127.0.0.1:9200 node bin/run-ts.js scripts/bench/stores-elasticsearch.ts \
//     [--docs 100000] [--dims 512] [--queries 200] [--types hnsw,int8_hnsw,bbq_hnsw] [--kinds random,low-rank]
//     [--candidates 10,50,100,200,300,500,1000] [--merged-kinds low-rank] [--out bench/elasticsearch-store]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { parseConfig } from '../../src/config/load.js';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import { imageId } from '../../src/store/ids.js';
import type { DocFilter, ImageDocument, TenantScope, VectorStore } from '../../src/store/types.js';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    dims: { type: 'string', default: '512' },
    queries: { type: 'string', default: '200' },
    types: { type: 'string', default: 'hnsw,int8_hnsw,bbq_hnsw' },
    kinds: { type: 'string', default: 'random,low-rank' },
    candidates: { type: 'string', default: '10,50,100,200,300,500,1000' },
    // Kinds measured a second time after a force merge to one segment (slow: minutes per index).
    'merged-kinds': { type: 'string', default: 'low-rank' },
    out: { type: 'string', default: 'bench/elasticsearch-store' },
  },
});
const docCount = Number(args.docs);
const dims = Number(args.dims);
const queryCount = Number(args.queries);
const indexTypes = args.types.split(',') as ('hnsw' | 'int8_hnsw' | 'bbq_hnsw')[];
const kinds = args.kinds.split(',') as Kind[];
const candidates = args.candidates.split(',').map(Number);
const mergedKinds = args['merged-kinds'].split(',');
const url = process.env.ELASTICSEARCH_URL;
if (!url) throw new Error('set ELASTICSEARCH_URL (npm run es:start prints it)');
const modelId = 'bench-model';
const writeBatch = 10_000;

// ---------- data (the same generator and placement as the embedded store's benchmark) ----------

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const gaussian = (random: () => number) =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

function normalizeRows(matrix: Float32Array): Float32Array {
  for (let r = 0; r < matrix.length / dims; r++) {
    let sum = 0;
    for (let j = 0; j < dims; j++) sum += matrix[r * dims + j]! ** 2;
    const scale = 1 / Math.sqrt(sum);
    for (let j = 0; j < dims; j++) matrix[r * dims + j]! *= scale;
  }
  return matrix;
}

type Kind = 'random' | 'low-rank';

/** Random: the worst case for graph indexes. Low-rank: rank 32 plus noise, closer to real embeddings. */
function vectors(kind: Kind, count: number, seed: number): Float32Array {
  const random = seeded(seed);
  const out = new Float32Array(count * dims);
  if (kind === 'random') {
    for (let i = 0; i < out.length; i++) out[i] = gaussian(random);
    return normalizeRows(out);
  }
  const rank = 32;
  const basisRandom = seeded(7);
  const basis = Float32Array.from({ length: rank * dims }, () => gaussian(basisRandom));
  const z = new Float32Array(rank);
  for (let r = 0; r < count; r++) {
    for (let k = 0; k < rank; k++) z[k] = gaussian(random);
    for (let j = 0; j < dims; j++) {
      let v = 0.3 * gaussian(random);
      for (let k = 0; k < rank; k++) v += z[k]! * basis[k * dims + j]!;
      out[r * dims + j] = v;
    }
  }
  return normalizeRows(out);
}

/** 50% tenant "big", 10% "small", 10% shared "*", 30% over ten others; 10 channels, 20% without one. */
function placement(i: number): { tenant: string; source: string; channel_id?: string } {
  const random = seeded(i * 7919 + 13);
  const t = random();
  const tenant = t < 0.5 ? 'big' : t < 0.6 ? 'small' : t < 0.7 ? '*' : `other-${Math.floor(random() * 10)}`;
  const channel = random() < 0.2 ? undefined : `c${Math.floor(random() * 10)}`;
  return {
    tenant,
    source: random() < 0.5 ? 'folder:/a' : 'folder:/b',
    ...(channel && { channel_id: channel }),
  };
}

function doc(i: number, matrix: Float32Array): ImageDocument {
  const where = placement(i);
  return {
    image_id: imageId(where.source, `img-${i}`),
    image_name: `img-${i}.jpg`,
    relative_path: `photos/${i}.jpg`,
    ...where,
    sha256: `sha-${i}`,
    width: 640,
    height: 480,
    bytes: 100_000,
    mtime: 1_700_000_000_000 + i,
    indexed_at: new Date(0).toISOString(),
    model_id: modelId,
    image_embedding: matrix.slice(i * dims, (i + 1) * dims),
  };
}

interface Scenario {
  name: string;
  scope: TenantScope;
  filter?: DocFilter;
  /** Swept over every num_candidates value; the others run at the default only. */
  sweep?: boolean;
}

const scenarios: Scenario[] = [
  { name: 'tenant 50%', scope: { tenant: 'big' }, sweep: true },
  {
    name: 'tenant 50%, channel filter (3 of 10)',
    scope: { tenant: 'big' },
    filter: { channel_id: ['c0', 'c1', 'c2'] },
  },
  {
    name: 'tenant 50% + shared, visibleChannels (5 of 10)',
    scope: { tenant: 'big', includeShared: true, visibleChannels: ['c0', 'c1', 'c2', 'c3', 'c4'] },
  },
  {
    name: 'tenant 10%, channel filter (3 of 10)',
    scope: { tenant: 'small' },
    filter: { channel_id: ['c0', 'c1', 'c2'] },
  },
];

function visible(i: number, s: Scenario): boolean {
  const p = placement(i);
  const tenants = s.scope.includeShared ? [s.scope.tenant, '*'] : [s.scope.tenant];
  if (!tenants.includes(p.tenant)) return false;
  if (s.filter?.channel_id && !(p.channel_id && s.filter.channel_id.includes(p.channel_id))) return false;
  if (s.scope.visibleChannels && p.channel_id && !s.scope.visibleChannels.includes(p.channel_id))
    return false;
  return true;
}

/** Brute force in plain JS over the documents the scenario may see: the reference for recall. */
function exactTop10(matrix: Float32Array, seen: Int32Array, q: Float32Array): Set<string> {
  const best: { row: number; score: number }[] = [];
  for (const r of seen) {
    let s = 0;
    for (let j = 0, o = r * dims; j < dims; j++) s += q[j]! * matrix[o + j]!;
    if (best.length < 10 || s > best[best.length - 1]!.score) {
      best.push({ row: r, score: s });
      best.sort((a, b) => b.score - a.score);
      if (best.length > 10) best.pop();
    }
  }
  return new Set(best.map((b) => imageId(placement(b.row).source, `img-${b.row}`)));
}

// ---------- measuring ----------

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

interface QueryRow {
  scenario: string;
  seen: number;
  numCandidates: number;
  recall: number;
  p50: number;
  p95: number;
}

async function measure(
  store: VectorStore,
  queries: Float32Array,
  truths: Set<string>[],
  s: Scenario,
  numCandidates: number,
) {
  const latencies: number[] = [];
  let recall = 0;
  for (let qi = 0; qi < queryCount; qi++) {
    const vector = queries.slice(qi * dims, (qi + 1) * dims);
    const start = process.hrtime.bigint();
    const hits = await store.knn({ vector, k: 10, numCandidates, scope: s.scope, filter: s.filter });
    latencies.push(ms(start));
    recall += hits.filter((h) => truths[qi]!.has(h.image_id)).length / 10;
  }
  latencies.sort((a, b) => a - b);
  return { recall: recall / queryCount, p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) };
}

/** One index at one moment: as bulk indexing left it, or force-merged to a single segment. */
interface State {
  label: 'as indexed' | 'merged';
  segments: number;
  queries: QueryRow[];
}

interface Run {
  kind: Kind;
  indexType: string;
  indexSeconds: number;
  mergeSeconds?: number;
  sizeMB: number;
  states: State[];
}

async function measureState(
  store: VectorStore,
  admin: Client,
  alias: string,
  label: State['label'],
  queries: Float32Array,
  truths: Map<Scenario, { seen: number; sets: Set<string>[] }>,
  defaultCandidates: number,
): Promise<State> {
  const segments = (await admin.cat.segments({ index: alias, format: 'json' })).length;
  console.error(`  ${label}: ${segments} segments`);
  const rows: QueryRow[] = [];
  for (const s of scenarios) {
    const truth = truths.get(s)!;
    const sweep = s.sweep ? candidates : [defaultCandidates];
    await measure(store, queries, truth.sets, s, sweep[0]!); // warm-up: caches, JIT
    for (const numCandidates of sweep) {
      const m = await measure(store, queries, truth.sets, s, numCandidates);
      rows.push({ scenario: s.name, seen: truth.seen, numCandidates, ...m });
      console.error(
        `    ${s.name} nc=${numCandidates}: recall ${m.recall.toFixed(3)} p50 ${m.p50.toFixed(1)} ms p95 ${m.p95.toFixed(1)} ms`,
      );
    }
  }
  return { label, segments, queries: rows };
}

async function benchIndexType(
  admin: Client,
  kind: Kind,
  indexType: Run['indexType'],
  matrix: Float32Array,
  queries: Float32Array,
  truths: Map<Scenario, { seen: number; sets: Set<string>[] }>,
): Promise<Run> {
  const alias = `lookalike-bench-${kind}-${indexType}`.replace(/_/g, '-');
  const config = parseConfig({
    ELASTICSEARCH_URL: url,
    LOOKALIKE_INDEX: alias,
    ELASTICSEARCH_INDEX_TYPE: indexType,
  });
  await dropIndices(admin, alias);
  const store = await createElasticsearchStore(config);
  try {
    await store.ensureIndex({ dims, modelId });
    const start = process.hrtime.bigint();
    for (let from = 0; from < docCount; from += writeBatch) {
      const batch = Array.from({ length: Math.min(writeBatch, docCount - from) }, (_, j) =>
        doc(from + j, matrix),
      );
      const result = await store.upsert(batch);
      if (result.failed.length > 0) throw new Error(JSON.stringify(result.failed[0]));
    }
    await admin.indices.refresh({ index: alias });
    const indexSeconds = ms(start) / 1000;
    const sizeMB = Number((await store.stats()).details.sizeBytes) / 1024 / 1024;
    console.error(`${kind} ${indexType}: indexed ${docCount} in ${indexSeconds.toFixed(1)} s`);
    const nc = config.ELASTICSEARCH_NUM_CANDIDATES;
    const states = [await measureState(store, admin, alias, 'as indexed', queries, truths, nc)];
    let mergeSeconds: number | undefined;
    if (mergedKinds.includes(kind)) {
      const mergeStart = process.hrtime.bigint();
      await admin.indices.forcemerge({ index: alias, max_num_segments: 1 }, { requestTimeout: 3_600_000 });
      await admin.indices.refresh({ index: alias });
      mergeSeconds = ms(mergeStart) / 1000;
      states.push(await measureState(store, admin, alias, 'merged', queries, truths, nc));
    }
    return { kind, indexType, indexSeconds, mergeSeconds, sizeMB, states };
  } finally {
    await store.close();
    await dropIndices(admin, alias);
  }
}

async function dropIndices(admin: Client, alias: string) {
  const found = await admin.indices.get({
    index: `${alias}-*`,
    allow_no_indices: true,
    ignore_unavailable: true,
  });
  if (Object.keys(found).length > 0) await admin.indices.delete({ index: Object.keys(found).join(',') });
}

// ---------- report ----------

function report(server: Record<string, unknown>, runs: Run[], seconds: number): string {
  const f = (n: number, d = 1) => n.toFixed(d);
  const sweepName = scenarios[0]!.name;
  const states = runs.flatMap((r) => r.states.map((st) => ({ r, st })));
  const lines = [
    '# Elasticsearch store benchmark',
    '',
    `${docCount.toLocaleString('en')} documents x ${dims} dims, ${queryCount} single queries per row (k = 10, one at a time,`,
    'latency measured around `store.knn`, so it includes the client, JSON and the network hop). Recall@10 is',
    'against brute force in JS over exactly the documents the scope may see. Writes go through `store.upsert`',
    `in batches of ${writeBatch.toLocaleString('en')} (bulk helper, 2 requests in flight); indexing time ends`,
    'after a refresh, i.e. when everything is searchable. Quantised types re-rank with the float vectors',
    '(int8_hnsw: oversample 2, bbq_hnsw: 8), as the store does. "as indexed" is the index right after the bulk',
    'load (many small segments, each searched with num_candidates: best recall, slowest); "merged" is after a',
    'force merge to one segment (fastest, lowest recall). A live index sits in between.',
    '',
    `Server: ${JSON.stringify(server)}. Total run time ${f(seconds / 60)} min.`,
    '',
    'Command:',
    '',
    '```',
    `ELASTICSEARCH_URL=${url} node bin/run-ts.js scripts/bench/stores-elasticsearch.ts --docs ${docCount} --dims ${dims} --queries ${queryCount} --merged-kinds ${mergedKinds.join(',')}`,
    '```',
    '',
    '## Indexing',
    '',
    '| data | index type | indexing s | docs/s | size MB | force merge s |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (r) =>
        `| ${r.kind} | ${r.indexType} | ${f(r.indexSeconds)} | ${f(docCount / r.indexSeconds, 0)} | ${f(r.sizeMB, 0)} | ${r.mergeSeconds ? f(r.mergeSeconds) : '-'} |`,
    ),
    '',
    `## num_candidates sweep, scope: ${sweepName}`,
    '',
    'Cells: recall@10 / p50 ms / p95 ms.',
    '',
    `| data | index type | segments | ${candidates.map((c) => `nc ${c}`).join(' | ')} |`,
    `| --- | --- | ---: | ${candidates.map(() => '---').join(' | ')} |`,
    ...states.map(({ r, st }) => {
      const cells = candidates.map((c) => {
        const q = st.queries.find((x) => x.scenario === sweepName && x.numCandidates === c)!;
        return `${f(q.recall, 3)} / ${f(q.p50)} / ${f(q.p95)}`;
      });
      return `| ${r.kind} | ${r.indexType} | ${st.segments} | ${cells.join(' | ')} |`;
    }),
    '',
    '## Other scopes at the default num_candidates',
    '',
    '| data | index type | segments | scope | docs visible | nc | recall@10 | p50 ms | p95 ms |',
    '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...states.flatMap(({ r, st }) =>
      st.queries
        .filter((q) => q.scenario !== sweepName)
        .map(
          (q) =>
            `| ${r.kind} | ${r.indexType} | ${st.segments} | ${q.scenario} | ${q.seen} | ${q.numCandidates} | ${f(q.recall, 3)} | ${f(q.p50)} | ${f(q.p95)} |`,
        ),
    ),
    '',
  ];
  return lines.join('\n');
}

// ---------- main ----------

const began = process.hrtime.bigint();
const admin = new Client({ node: url });
const info = await admin.info();
const jvm = await admin.nodes.stats({ metric: 'jvm' });
const heap = Object.values(jvm.nodes)[0]?.jvm?.mem?.heap_max_in_bytes ?? 0;
const server = { version: info.version.number, heapMB: Math.round(heap / 1024 / 1024), url };

const runs: Run[] = [];
for (const kind of kinds) {
  const matrix = vectors(kind, docCount, 1);
  const queries = vectors(kind, queryCount, 2);
  const truths = new Map<Scenario, { seen: number; sets: Set<string>[] }>();
  for (const s of scenarios) {
    const seen = Int32Array.from({ length: docCount }, (_, i) => i).filter((i) => visible(i, s));
    const sets = Array.from({ length: queryCount }, (_, qi) =>
      exactTop10(matrix, seen, queries.slice(qi * dims, (qi + 1) * dims)),
    );
    truths.set(s, { seen: seen.length, sets });
  }
  for (const indexType of indexTypes)
    runs.push(await benchIndexType(admin, kind, indexType, matrix, queries, truths));
}
await admin.close();

const seconds = ms(began) / 1000;
writeFileSync(
  `${args.out}.json`,
  JSON.stringify({ docCount, dims, queryCount, server, runs, seconds }, null, 2),
);
writeFileSync(`${args.out}.md`, report(server, runs, seconds));
console.error(`wrote ${args.out}.md and ${args.out}.json in ${(seconds / 60).toFixed(1)} min`);
