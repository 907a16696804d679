// What the store benchmarks share, so both backends are measured on the same data in the same way: the
// vector generator, where each document lives (tenant, source, channel), the scoped query scenarios, brute
// force ground truth, and recall / latency of single kNN queries.
import os from 'node:os';
import { imageId } from '../../src/store/ids.js';
import type { DocFilter, ImageDocument, TenantScope, VectorStore } from '../../src/store/types.js';

export type Kind = 'random' | 'low-rank';

/** mulberry32: deterministic numbers in [0, 1), so every run and backend sees the same data (all benches use it). */
export function seeded(seed: number): () => number {
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

function normalizeRows(matrix: Float32Array, dims: number): Float32Array {
  for (let r = 0; r < matrix.length / dims; r++) {
    let sum = 0;
    for (let j = 0; j < dims; j++) sum += matrix[r * dims + j]! ** 2;
    const scale = 1 / Math.sqrt(sum);
    for (let j = 0; j < dims; j++) matrix[r * dims + j]! *= scale;
  }
  return matrix;
}

/**
 * `count` unit vectors, row after row. Random: the worst case for graph indexes. Low-rank: rank 32 plus
 * noise, closer to real embeddings.
 */
export function vectors(kind: Kind, count: number, dims: number, seed: number): Float32Array {
  const random = seeded(seed);
  const out = new Float32Array(count * dims);
  if (kind === 'random') {
    for (let i = 0; i < out.length; i++) out[i] = gaussian(random);
    return normalizeRows(out, dims);
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
  return normalizeRows(out, dims);
}

/** Row `row` of a matrix of `dims` columns (a copy). */
export const rowOf = (matrix: Float32Array, dims: number, row: number) =>
  matrix.slice(row * dims, (row + 1) * dims);

/** 50% tenant "big", 10% "small", 10% shared "*", 30% over ten others; 10 channels, 20% without one. */
export function placement(i: number): { tenant: string; source: string; channel_id?: string } {
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

export const benchModel = 'bench-model';
const docId = (i: number) => imageId(placement(i).source, `img-${i}`);

/** Document `i`, placed by `placement(i)`, with the vector of matrix row `row` (default `i`). */
export function benchDoc(i: number, matrix: Float32Array, dims: number, row = i): ImageDocument {
  return {
    image_id: docId(i),
    image_name: `img-${i}.jpg`,
    relative_path: `photos/${i}.jpg`,
    ...placement(i),
    sha256: `sha-${i}`,
    width: 640,
    height: 480,
    bytes: 100_000,
    mtime: 1_700_000_000_000 + i,
    indexed_at: new Date(0).toISOString(),
    model_id: benchModel,
    image_embedding: rowOf(matrix, dims, row),
  };
}

export interface Scenario {
  name: string;
  scope: TenantScope;
  filter?: DocFilter;
}

/** The scopes every store is measured with; the first is the widest (half of all documents, no filter). */
export const scenarios: Scenario[] = [
  { name: 'tenant 50%', scope: { tenant: 'big' } },
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

/** The exact top 10 of one query among the rows a scenario may see: brute force in plain JS. */
function exactTop10(matrix: Float32Array, dims: number, seen: Int32Array, q: Float32Array): Set<string> {
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
  return new Set(best.map((b) => docId(b.row)));
}

/** The reference for recall: how many documents a scenario sees, and each query's exact top 10 among them. */
export interface GroundTruth {
  seen: number;
  top10: Set<string>[];
}

export function groundTruth(
  matrix: Float32Array,
  dims: number,
  queries: Float32Array,
  scenario: Scenario,
): GroundTruth {
  const rows = matrix.length / dims;
  const seen = Int32Array.from({ length: rows }, (_, i) => i).filter((i) => visible(i, scenario));
  const top10 = Array.from({ length: queries.length / dims }, (_, qi) =>
    exactTop10(matrix, dims, seen, rowOf(queries, dims, qi)),
  );
  return { seen: seen.length, top10 };
}

export const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** Other work on the machine skews latency: benches print it at the start and end of a run. */
export const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

export interface KnnMeasure {
  recall: number;
  p50: number;
  p95: number;
}

/**
 * Runs every query once, one at a time (k = 10), timing each `store.knn` call as a caller sees it, and
 * scores recall@10 against the ground truth. Warm up first by measuring once and discarding the result.
 */
export async function measureKnn(
  store: VectorStore,
  queries: Float32Array,
  dims: number,
  truth: GroundTruth,
  scenario: Scenario,
  numCandidates?: number,
): Promise<KnnMeasure> {
  const latencies: number[] = [];
  let recall = 0;
  for (let qi = 0; qi < truth.top10.length; qi++) {
    const vector = rowOf(queries, dims, qi);
    const start = process.hrtime.bigint();
    const hits = await store.knn({
      vector,
      k: 10,
      scope: scenario.scope,
      ...(scenario.filter && { filter: scenario.filter }),
      ...(numCandidates && { numCandidates }),
    });
    latencies.push(ms(start));
    recall += hits.filter((h) => truth.top10[qi]!.has(h.image_id)).length / 10;
  }
  latencies.sort((a, b) => a - b);
  return {
    recall: recall / truth.top10.length,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
  };
}
