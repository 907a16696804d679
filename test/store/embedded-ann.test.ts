// The embedded store's approximate index (src/store/embedded/ivf.ts): recall against exact search, filters that
// stay pre-filters, the size threshold, writes during a build, and the index rebuilt when a store file is opened.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../../src/store/embedded/index.js';
import { defaultAnnSettings, type AnnSettings } from '../../src/store/embedded/ivf.js';
import { VectorTable, type Placement, type RowFacts } from '../../src/store/embedded/vector-table.js';
import type { DocFilter } from '../../src/store/types.js';
import { makeDoc } from './helpers/docs.js';
import { normalize, seededRandom } from './helpers/vectors.js';

const dims = 64;
const rows = 12_000;
const place: Placement = { tenant: 't', source: 'folder:/a', channel: 'c' };
const scope = { tenant: 't' };
const ann: AnnSettings = { ...defaultAnnSettings, threshold: 5_000 };
const exactOnly: AnnSettings = { ...defaultAnnSettings, threshold: Number.POSITIVE_INFINITY };

/** Clustered, low-rank unit vectors (like image embeddings): the data an inverted file is meant for. */
function clustered(count: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rank = 12;
  const basis = Array.from({ length: rank }, () => Float64Array.from({ length: dims }, gaussian));
  const centres = Array.from({ length: 40 }, () => Float64Array.from({ length: rank }, gaussian));
  return Array.from({ length: count }, () => {
    const centre = centres[Math.floor(random() * centres.length)]!;
    const v = new Float64Array(dims).map(() => 0.3 * gaussian());
    for (let k = 0; k < rank; k++) {
      const z = centre[k]! + 0.6 * gaussian();
      for (let j = 0; j < dims; j++) v[j]! += z * basis[k]![j]!;
    }
    return normalize(v);
  });
}

const data = clustered(rows, 1);
const queries = clustered(40, 2);
/** Row i's facts: author u(i % 100) (1% each), format gif for i % 10 == 3 (10%). */
const factsOf = (i: number): RowFacts => ({
  author: `u${i % 100}`,
  format: i % 10 === 3 ? 'gif' : 'jpeg',
  date: i,
});

function fill(settings: AnnSettings, count = rows): VectorTable {
  const table = new VectorTable(dims, 1, settings);
  for (let i = 0; i < count; i++) table.put(`id-${i}`, place, data[i]!, factsOf(i));
  return table;
}

function recall(approximate: VectorTable, exact: VectorTable, filter?: DocFilter): number {
  let found = 0;
  let wanted = 0;
  for (const q of queries) {
    const truth = new Set(exact.search(q, 10, scope, filter).map((h) => h.id));
    wanted += truth.size;
    found += approximate.search(q, 10, scope, filter).filter((h) => truth.has(h.id)).length;
  }
  return found / wanted;
}

const tables: VectorTable[] = [];
const table = (settings: AnnSettings, count?: number) => {
  const t = fill(settings, count);
  tables.push(t);
  return t;
};
afterAll(async () => {
  await Promise.all(tables.map((t) => t.close()));
});

describe('embedded store approximate index', () => {
  it('reaches recall@10 >= 0.98 against exact search, unfiltered and with 1% and 10% filters', async () => {
    const exact = table(exactOnly);
    const approximate = table(ann);
    await approximate.indexed();
    expect(approximate.indexedPartitions).toBe(1);
    expect(exact.indexedPartitions).toBe(0);
    expect(recall(approximate, exact)).toBeGreaterThanOrEqual(0.98);
    expect(recall(approximate, exact, { author_id: ['u7'] })).toBeGreaterThanOrEqual(0.98);
    expect(recall(approximate, exact, { format: ['gif'] })).toBeGreaterThanOrEqual(0.98);
    expect(recall(approximate, exact, { date: { from: 1000, until: 2200 } })).toBeGreaterThanOrEqual(0.98);
  });

  it('scans fewer lists than it has when unfiltered (it is approximate), all of them when a filter needs it', async () => {
    const approximate = table({ ...ann, probes: 1 });
    await approximate.indexed();
    const q = queries[0]!;
    // One list probed: the hits come from one list, far fewer than every row.
    const one = approximate.search(q, 10_000, scope, undefined);
    expect(one.length).toBeGreaterThanOrEqual(10);
    expect(one.length).toBeLessThan(rows);
    // A filter that keeps 3 rows, wherever they sit: all 3 come back, though one list holds at most a few.
    const rare = approximate.search(q, 10, scope, { date: { from: 500, until: 503 } });
    expect(rare.map((h) => h.id).sort()).toEqual(['id-500', 'id-501', 'id-502']);
  });

  it('never returns fewer hits than asked while more match the filter', async () => {
    const approximate = table({ ...ann, probes: 1, filteredDepth: 0 });
    await approximate.indexed();
    for (const [i, q] of queries.entries()) {
      // 12 rows pass (1% author over 12k rows, minus some): k = 10 must give 10; k = 50 gives all that pass.
      const filter = { author_id: [`u${i}`] };
      const passing = approximate.count(scope, filter);
      expect(approximate.search(q, 10, scope, filter)).toHaveLength(Math.min(10, passing));
      expect(approximate.search(q, 500, scope, filter)).toHaveLength(passing);
    }
  });

  it('keeps exact search below the threshold and switches once a partition passes it', async () => {
    const small = table(ann, 4_999);
    await small.indexed();
    expect(small.indexedPartitions).toBe(0);
    for (let i = 4_999; i < 5_000; i++) small.put(`id-${i}`, place, data[i]!, factsOf(i));
    await small.indexed();
    expect(small.indexedPartitions).toBe(1);
    expect(small.size).toBe(5_000);
    expect(small.count(scope, undefined)).toBe(5_000);
  });

  it('keeps every write made while the index is being built', async () => {
    const t = table(ann, 8_000);
    t.maintain(); // the build starts in the background
    for (let i = 8_000; i < 9_000; i++) t.put(`id-${i}`, place, data[i]!, factsOf(i));
    for (let i = 0; i < 500; i++) t.remove(`id-${i}`);
    t.put('id-600', place, data[9_500]!, factsOf(600)); // rewritten with another vector
    await t.indexed();
    expect(t.indexedPartitions).toBe(1);
    expect(t.size).toBe(8_500);
    expect(t.count(scope, undefined)).toBe(8_500);
    expect(t.vectors(['id-0', 'id-8999'], scope).has('id-0')).toBe(false);
    expect(t.vectors(['id-600'], scope).get('id-600')).toEqual(data[9_500]);
    // Every row is findable by its own vector: it sits in the list its centre sends the query to.
    for (const i of [500, 4_000, 8_500, 8_999])
      expect(t.search(data[i]!, 1, scope, undefined)[0]!.id).toBe(`id-${i}`);
    expect(t.search(data[9_500]!, 1, scope, undefined)[0]!.id).toBe('id-600');
  });

  it('is rebuilt from the stored rows when a store file is opened again', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lookalike-ann-'));
    try {
      const open = () =>
        createEmbeddedStore({ dataDir, index: 'images', threads: 1, ann: { threshold: 5_000 } });
      let store = await open();
      await store.ensureIndex({ dims, modelId: 'm' });
      const docs = data.slice(0, 6_000).map((vector, i) =>
        makeDoc({
          image_id: `id-${i}`,
          tenant: 't',
          model_id: 'm',
          image_embedding: vector,
          author_id: `u${i % 100}`,
        }),
      );
      for (let i = 0; i < docs.length; i += 1_000) await store.upsert(docs.slice(i, i + 1_000));
      await store.indexed();
      expect((await store.stats()).details.indexedPartitions).toBe(1);
      await store.close();

      store = await open();
      await store.indexed();
      expect((await store.stats()).details.indexedPartitions).toBe(1);
      const hits = await store.knn({ vector: data[123]!, k: 5, scope: { tenant: 't' } });
      expect(hits[0]!.image_id).toBe('id-123');
      const filtered = await store.knn({
        vector: data[0]!,
        k: 100,
        scope: { tenant: 't' },
        filter: { author_id: ['u3'] },
      });
      expect(filtered).toHaveLength(60);
      await store.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
