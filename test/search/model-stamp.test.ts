// A search never ranks vectors of another model: the store's hits carry the model that made them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/model/types.js';
import { SearchService } from '../../src/search/service.js';
import { createEmbeddedStore } from '../../src/store/embedded/index.js';
import type { VectorStore } from '../../src/store/types.js';
import { makeDoc } from '../store/helpers/docs.js';
import { randomUnit } from '../store/helpers/vectors.js';

const dims = 16;
const laion = 'ViT-B-32__laion2b_s34b_b79k@fp32';
const scope = { tenant: 'tenant-a' };
const embedderOf = (modelId: string) => ({ modelId, dims }) as unknown as Embedder;

let dir: string;
let store: VectorStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lookalike-stamp-'));
  store = await createEmbeddedStore({ dataDir: dir, index: 'images', threads: 1 });
  await store.ensureIndex({ dims, modelId: laion });
  await store.upsert([makeDoc({ image_id: 'a', model_id: laion, image_embedding: randomUnit(dims, 1) })]);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the model stamp at search time', () => {
  it('answers with the model that built the index', async () => {
    const page = await new SearchService(embedderOf(laion), store).page(randomUnit(dims, 2), scope, 0, 5);
    expect(page.hits.map((h) => h.image_id)).toEqual(['a']);
  });

  it('refuses a query of another model (same dims: it would rank at random), saying what to do', async () => {
    const search = new SearchService(embedderOf('clip-vit-base-patch32@fp32'), store);
    await expect(search.page(randomUnit(dims, 2), scope, 0, 5)).rejects.toThrow(
      /holds vectors of model "ViT-B-32__laion2b_s34b_b79k@fp32".*"clip-vit-base-patch32@fp32".*LOOKALIKE_MODEL=laion2b-vit-b32/,
    );
  });
});
