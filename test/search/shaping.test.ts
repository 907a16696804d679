// How an answer is shaped over every candidate: near-copies folded, weak hits cut, date order, filters inside.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/model/types.js';
import { SearchService } from '../../src/search/service.js';
import { createEmbeddedStore } from '../../src/store/embedded/index.js';
import type { ImageDocument, VectorStore } from '../../src/store/types.js';
import { contractModel, makeDoc } from '../store/helpers/docs.js';
import { atCosine, randomUnit } from '../store/helpers/vectors.js';

const dims = 16;
const scope = { tenant: 'tenant-a' };
const query = randomUnit(dims, 1);
const embedder = { modelId: contractModel, dims } as unknown as Embedder;

let dir: string;
let store: VectorStore;
let docs: ImageDocument[];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lookalike-shape-'));
  store = await createEmbeddedStore({ dataDir: dir, index: 'images', threads: 1 });
  await store.ensureIndex({ dims, modelId: contractModel });
  const best = atCosine(query, 0.9, 2);
  docs = [
    makeDoc({ image_id: 'best', image_embedding: best, date: Date.UTC(2024, 0, 1), date_kind: 'taken' }),
    // A near-copy of the best (a resized or re-encoded copy): folded under it.
    makeDoc({
      image_id: 'copy',
      image_embedding: atCosine(best, 0.995, 3),
      date: Date.UTC(2024, 0, 2),
      date_kind: 'taken',
    }),
    makeDoc({
      image_id: 'good',
      image_embedding: atCosine(query, 0.8, 4),
      date: Date.UTC(2024, 5, 1),
      date_kind: 'posted',
    }),
    // The background: barely related images, far below the best.
    ...Array.from({ length: 20 }, (_, i) =>
      makeDoc({ image_id: `weak-${i}`, image_embedding: atCosine(query, 0.05 + i * 0.005, 10 + i) }),
    ),
  ];
  await store.upsert(docs);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('answer shaping', () => {
  it('folds near-copies under the better hit and cuts hits far below the best, saying how many', async () => {
    const search = new SearchService(embedder, store);
    const page = await search.page(query, scope, 0, 10, undefined, { sort: 'relevance', all: false });
    expect(page.hits.map((h) => h.image_id)).toEqual(['best', 'good']);
    expect(page.hits[0]!.nearCopies.map((h) => h.image_id)).toEqual(['copy']);
    expect(page.cut).toBe(20);
    expect(page.hasMore).toBe(false);
  });

  it('shows everything with all, and by date newest first while still cutting the weak ones', async () => {
    const search = new SearchService(embedder, store);
    const all = await search.page(query, scope, 0, 30, undefined, { sort: 'relevance', all: true });
    expect(all.hits).toHaveLength(docs.length);
    expect(all.cut).toBe(0);
    const byDate = await search.page(query, scope, 0, 10, undefined, { sort: 'date', all: false });
    expect(byDate.hits.map((h) => h.image_id)).toEqual(['good', 'best']);
  });

  it('filters inside the search, and says when the best match is weak for the model', async () => {
    const search = new SearchService(embedder, store, undefined, {
      nearCopyCosine: 0.97,
      lowConfidence: 0.95,
    });
    const page = await search.page(query, scope, 0, 10, undefined, {
      sort: 'relevance',
      all: true,
      filter: { date: { from: Date.UTC(2024, 0, 2) } },
    });
    expect(page.hits.map((h) => h.image_id)).toEqual(['copy', 'good']);
    expect(page.lowConfidence).toBe(true);
  });
});
