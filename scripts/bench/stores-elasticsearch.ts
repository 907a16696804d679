// Elasticsearch store benchmark: for each index type (hnsw, int8_hnsw, bbq_hnsw) and data kind (random,
// low-rank), indexing time through the store's bulk path, then a num_candidates sweep of single tenant-scoped
// queries: recall@10 against brute force in JS, p50/p95 latency as the caller sees it (client included).
// For the kinds in --rebuilt-kinds, the same again right after a full rebuild of one slice through the store
// (client-side copy, refill, force merge to one segment, alias swap), with the time of each step.
// Results: bench/elasticsearch-store.md and .json. Needs a running server (npm run es:start).
//
//   ELASTICSEARCH_URL=http://127.0.0.1:9200 node bin/run-ts.js scripts/bench/stores-elasticsearch.ts \
//     [--docs 100000] [--dims 512] [--queries 200] [--types hnsw,int8_hnsw,bbq_hnsw] [--kinds random,low-rank]
//     [--candidates 10,50,100,200,300,500,1000] [--rebuilt-kinds low-rank] [--out bench/elasticsearch-store]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { parseConfig } from '../../src/config/load.js';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import type { VectorStore } from '../../src/store/types.js';
import {
  benchDoc,
  benchModel as modelId,
  groundTruth,
  loadAverage,
  measureKnn,
  ms,
  placement,
  scenarios,
  vectors,
  type GroundTruth,
  type Kind,
  type Scenario,
} from './vectors.js';

const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    dims: { type: 'string', default: '512' },
    queries: { type: 'string', default: '200' },
    types: { type: 'string', default: 'hnsw,int8_hnsw,bbq_hnsw' },
    kinds: { type: 'string', default: 'random,low-rank' },
    candidates: { type: 'string', default: '10,50,100,200,300,500,1000' },
    // Kinds measured a second time right after a full rebuild (slow: minutes per index).
    'rebuilt-kinds': { type: 'string', default: 'low-rank' },
    out: { type: 'string', default: 'bench/elasticsearch-store' },
  },
});
const docCount = Number(args.docs);
const dims = Number(args.dims);
const queryCount = Number(args.queries);
const indexTypes = args.types.split(',') as ('hnsw' | 'int8_hnsw' | 'bbq_hnsw')[];
const kinds = args.kinds.split(',') as Kind[];
const candidates = args.candidates.split(',').map(Number);
const rebuiltKinds = args['rebuilt-kinds'].split(',');
const url = process.env.ELASTICSEARCH_URL;
if (!url) throw new Error('set ELASTICSEARCH_URL (npm run es:start prints it)');
const writeBatch = 10_000;
/** The slice a rebuild refills: tenant "small" (10%), one of two sources; the rest (95%) is copied. */
const rebuiltSlice = { tenant: 'small', source: 'folder:/a' };
/** The num_candidates sweep runs on the widest scope; the others run at the default only. */
const sweepScenario = scenarios[0]!;

const batchOf = (matrix: Float32Array, rows: number[]) => rows.map((i) => benchDoc(i, matrix, dims));

interface QueryRow {
  scenario: string;
  seen: number;
  numCandidates: number;
  recall: number;
  p50: number;
  p95: number;
}

/** One index at one moment: as bulk indexing left it, or right after a full rebuild of one slice. */
interface State {
  label: 'as indexed' | 'rebuilt';
  segments: number;
  /** 1-minute load average when the queries ran: other work on the machine inflates latency. */
  load: number;
  queries: QueryRow[];
}

interface Rebuild {
  copied: number;
  refilled: number;
  /** beginReindex: a new index holding every other slice (client-side copy). */
  copySeconds: number;
  refillSeconds: number;
  /** commitReindex: force merge to one segment, refresh, alias swap. */
  commitSeconds: number;
}

interface Run {
  kind: Kind;
  indexType: string;
  indexSeconds: number;
  sizeMB: number;
  rebuild?: Rebuild;
  states: State[];
}

async function measureState(
  store: VectorStore,
  admin: Client,
  alias: string,
  label: State['label'],
  queries: Float32Array,
  truths: Map<Scenario, GroundTruth>,
  defaultCandidates: number,
): Promise<State> {
  const segments = (await admin.cat.segments({ index: alias, format: 'json' })).length;
  const load = os.loadavg()[0]!;
  console.error(`  ${label}: ${segments} segments, load average ${loadAverage()}`);
  const rows: QueryRow[] = [];
  for (const s of scenarios) {
    const truth = truths.get(s)!;
    const sweep = s === sweepScenario ? candidates : [defaultCandidates];
    await measureKnn(store, queries, dims, truth, s, sweep[0]); // warm-up: caches, JIT
    for (const numCandidates of sweep) {
      const m = await measureKnn(store, queries, dims, truth, s, numCandidates);
      rows.push({ scenario: s.name, seen: truth.seen, numCandidates, ...m });
      console.error(
        `    ${s.name} nc=${numCandidates}: recall ${m.recall.toFixed(3)} p50 ${m.p50.toFixed(1)} ms p95 ${m.p95.toFixed(1)} ms`,
      );
    }
  }
  return { label, segments, load, queries: rows };
}

/** A full rebuild of `rebuiltSlice` through the store, refilled with the same documents. */
async function rebuild(store: VectorStore, matrix: Float32Array): Promise<Rebuild> {
  const sliceRows = Array.from({ length: docCount }, (_, i) => i).filter((i) => {
    const p = placement(i);
    return p.tenant === rebuiltSlice.tenant && p.source === rebuiltSlice.source;
  });
  const copyStart = process.hrtime.bigint();
  const reindex = await store.beginReindex(rebuiltSlice);
  const copySeconds = ms(copyStart) / 1000;
  const refillStart = process.hrtime.bigint();
  for (let from = 0; from < sliceRows.length; from += writeBatch) {
    const result = await reindex.upsert(batchOf(matrix, sliceRows.slice(from, from + writeBatch)));
    if (result.failed.length > 0) throw new Error(JSON.stringify(result.failed[0]));
  }
  const refillSeconds = ms(refillStart) / 1000;
  const commitStart = process.hrtime.bigint();
  await store.commitReindex(reindex);
  const commitSeconds = ms(commitStart) / 1000;
  const stats = await store.stats();
  return {
    copied: stats.count - sliceRows.length,
    refilled: sliceRows.length,
    copySeconds,
    refillSeconds,
    commitSeconds,
  };
}

async function benchIndexType(
  admin: Client,
  kind: Kind,
  indexType: Run['indexType'],
  matrix: Float32Array,
  queries: Float32Array,
  truths: Map<Scenario, GroundTruth>,
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
      const rows = Array.from({ length: Math.min(writeBatch, docCount - from) }, (_, j) => from + j);
      const result = await store.upsert(batchOf(matrix, rows));
      if (result.failed.length > 0) throw new Error(JSON.stringify(result.failed[0]));
    }
    await admin.indices.refresh({ index: alias });
    const indexSeconds = ms(start) / 1000;
    const sizeMB = Number((await store.stats()).details.sizeBytes) / 1024 / 1024;
    console.error(`${kind} ${indexType}: indexed ${docCount} in ${indexSeconds.toFixed(1)} s`);
    const nc = config.ELASTICSEARCH_NUM_CANDIDATES;
    const states = [await measureState(store, admin, alias, 'as indexed', queries, truths, nc)];
    let rebuilt: Rebuild | undefined;
    if (rebuiltKinds.includes(kind)) {
      rebuilt = await rebuild(store, matrix);
      console.error(
        `  rebuild: copy ${rebuilt.copySeconds.toFixed(1)} s, refill ${rebuilt.refillSeconds.toFixed(1)} s, commit ${rebuilt.commitSeconds.toFixed(1)} s`,
      );
      states.push(await measureState(store, admin, alias, 'rebuilt', queries, truths, nc));
    }
    return { kind, indexType, indexSeconds, sizeMB, ...(rebuilt && { rebuild: rebuilt }), states };
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

interface Machine {
  cores: number;
  node: string;
  loadAtStart: string;
  loadAtEnd: string;
}

function report(server: Record<string, unknown>, machine: Machine, runs: Run[], seconds: number): string {
  const f = (n: number, d = 1) => n.toFixed(d);
  const states = runs.flatMap((r) => r.states.map((st) => ({ r, st })));
  const rebuilt = runs.filter((r) => r.rebuild);
  const lines = [
    '# Elasticsearch store benchmark',
    '',
    `${docCount.toLocaleString('en')} documents x ${dims} dims, ${queryCount} single queries per row (k = 10, one at a time,`,
    'latency measured around `store.knn`, so it includes the client, JSON and the network hop). Recall@10 is',
    'against brute force in JS over exactly the documents the scope may see. Writes go through `store.upsert`',
    `in batches of ${writeBatch.toLocaleString('en')} (bulk helper, 2 requests in flight); indexing time ends`,
    'after a refresh, i.e. when everything is searchable. Quantised types re-rank with the float vectors',
    '(int8_hnsw: oversample 2, bbq_hnsw: 8), as the store does. "as indexed" is the index right after the bulk',
    'load (many small segments, each searched with num_candidates: best recall, slowest). "rebuilt" is right',
    `after a full rebuild through the store of the slice ${JSON.stringify(rebuiltSlice)}: every other document`,
    'copied client side (point in time + bulk), the slice refilled, the new index force-merged to one segment',
    'and swapped in. The "load" column is the 1-minute load average while the row was measured.',
    '',
    `Server: ${JSON.stringify(server)}. Machine: ${machine.cores} cores, Node ${machine.node}, load average`,
    `(1 / 5 / 15 min) ${machine.loadAtStart} at the start, ${machine.loadAtEnd} at the end. Total run time ${f(seconds / 60)} min.`,
    '',
    'Command:',
    '',
    '```',
    `ELASTICSEARCH_URL=${url} node bin/run-ts.js scripts/bench/stores-elasticsearch.ts --docs ${docCount} --dims ${dims} --queries ${queryCount} --types ${indexTypes.join(',')} --kinds ${kinds.join(',')} --rebuilt-kinds ${rebuiltKinds.join(',')}`,
    '```',
    '',
    '## Indexing',
    '',
    '| data | index type | indexing s | docs/s | size MB |',
    '| --- | --- | ---: | ---: | ---: |',
    ...runs.map(
      (r) =>
        `| ${r.kind} | ${r.indexType} | ${f(r.indexSeconds)} | ${f(docCount / r.indexSeconds, 0)} | ${f(r.sizeMB, 0)} |`,
    ),
    '',
    ...(rebuilt.length > 0
      ? [
          '## Full rebuild of one slice',
          '',
          '| data | index type | copied | copy s | refilled | refill s | commit (merge + swap) s |',
          '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
          ...rebuilt.map(
            ({ kind, indexType, rebuild: b }) =>
              `| ${kind} | ${indexType} | ${b!.copied} | ${f(b!.copySeconds)} | ${b!.refilled} | ${f(b!.refillSeconds)} | ${f(b!.commitSeconds)} |`,
          ),
          '',
        ]
      : []),
    `## num_candidates sweep, scope: ${sweepScenario.name}`,
    '',
    'Cells: recall@10 / p50 ms / p95 ms.',
    '',
    `| data | index type | state | segments | load | ${candidates.map((c) => `nc ${c}`).join(' | ')} |`,
    `| --- | --- | --- | ---: | ---: | ${candidates.map(() => '---').join(' | ')} |`,
    ...states.map(({ r, st }) => {
      const cells = candidates.map((c) => {
        const q = st.queries.find((x) => x.scenario === sweepScenario.name && x.numCandidates === c)!;
        return `${f(q.recall, 3)} / ${f(q.p50)} / ${f(q.p95)}`;
      });
      return `| ${r.kind} | ${r.indexType} | ${st.label} | ${st.segments} | ${f(st.load)} | ${cells.join(' | ')} |`;
    }),
    '',
    '## Other scopes at the default num_candidates',
    '',
    '| data | index type | state | segments | scope | docs visible | nc | recall@10 | p50 ms | p95 ms |',
    '| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...states.flatMap(({ r, st }) =>
      st.queries
        .filter((q) => q.scenario !== sweepScenario.name)
        .map(
          (q) =>
            `| ${r.kind} | ${r.indexType} | ${st.label} | ${st.segments} | ${q.scenario} | ${q.seen} | ${q.numCandidates} | ${f(q.recall, 3)} | ${f(q.p50)} | ${f(q.p95)} |`,
        ),
    ),
    '',
  ];
  return lines.join('\n');
}

// ---------- main ----------

const began = process.hrtime.bigint();
const loadAtStart = loadAverage();
console.error(`load average at the start: ${loadAtStart}`);
const admin = new Client({ node: url });
const info = await admin.info();
const jvm = await admin.nodes.stats({ metric: 'jvm' });
const heap = Object.values(jvm.nodes)[0]?.jvm?.mem?.heap_max_in_bytes ?? 0;
const server = { version: info.version.number, heapMB: Math.round(heap / 1024 / 1024), url };

const runs: Run[] = [];
for (const kind of kinds) {
  const matrix = vectors(kind, docCount, dims, 1);
  const queries = vectors(kind, queryCount, dims, 2);
  const truths = new Map(scenarios.map((s) => [s, groundTruth(matrix, dims, queries, s)]));
  for (const indexType of indexTypes)
    runs.push(await benchIndexType(admin, kind, indexType, matrix, queries, truths));
}
await admin.close();

const seconds = ms(began) / 1000;
const machine = {
  cores: os.availableParallelism(),
  node: process.version,
  loadAtStart,
  loadAtEnd: loadAverage(),
};
writeFileSync(
  `${args.out}.json`,
  JSON.stringify({ docCount, dims, queryCount, server, machine, runs, seconds }, null, 2),
);
writeFileSync(`${args.out}.md`, report(server, machine, runs, seconds));
console.error(`wrote ${args.out}.md and ${args.out}.json in ${(seconds / 60).toFixed(1)} min`);
