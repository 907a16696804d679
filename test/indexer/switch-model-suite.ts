// Model switches on a real store (SQLite, or an Elasticsearch node) with two real models of different dims: the
// tiny CLIP fixture (transformers.js layout, 512 dims) and the tiny open_clip one (128 dims). Each backend's test
// file runs this suite.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { indexSource } from '../../src/indexer/index-source.js';
import { switchModel, type SwitchTarget } from '../../src/indexer/switch-model.js';
import type { Embedder } from '../../src/model/types.js';
import { ActiveModel } from '../../src/search/active-model.js';
import { folderSourceId, openFolderSource } from '../../src/sources/folder.js';
import type { ImageMeta } from '../../src/store/types.js';
import { InputError } from '../../src/util/errors.js';
import { fixtureImagesDir, photoNames, tempDir, tinyModelDir } from '../helpers/bot.js';
import { openClipDir, tinyEmbedder } from '../model/helpers/fixtures.js';
import { openTestStore, type Backend, type TestStore } from './helpers/stores.js';

const embedderAt = (modelDir: string) => tinyEmbedder({ modelDir, batchSize: 4 });

/** Two folders of photos: shared ones (tenant `*`) and a guild's. */
const folders = [
  { name: 'shared', tenant: '*', photos: photoNames },
  { name: 'guild', tenant: 'guild-1', photos: photoNames.slice(0, 2) },
];

export const switchSuite = (backend: Backend) =>
  describe(`switching the model (${backend} store)`, () => {
    let a: Embedder;
    let b: Embedder;
    let data: Awaited<ReturnType<typeof tempDir>>;
    let test: TestStore;
    let targets: SwitchTarget[];
    let total: number;

    beforeAll(async () => {
      [a, b] = await Promise.all([embedderAt(tinyModelDir), embedderAt(openClipDir)]);
      expect(a.dims).not.toBe(b.dims);
      data = await tempDir();
      for (const folder of folders) {
        const dir = path.join(data.dir, folder.name);
        await mkdir(dir, { recursive: true });
        for (const name of folder.photos)
          await copyFile(path.join(fixtureImagesDir, name), path.join(dir, name));
      }
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await data?.remove();
    });
    beforeEach(async () => {
      test = await openTestStore(backend, path.join(data.dir, String(Math.random()).slice(2)));
      targets = folders.map((folder) => {
        const root = path.join(data.dir, folder.name);
        return {
          tenant: folder.tenant,
          source: folderSourceId(root),
          open: () => openFolderSource({ root, tenant: folder.tenant, maxBytes: 50_000_000 }),
        };
      });
      for (const target of targets) {
        await indexSource({ source: await target.open(), store: test.store, embedder: a, batchSize: 4 });
      }
      await test.refresh();
      total = folders.reduce((n, f) => n + f.photos.length, 0);
    });
    afterEach(async () => {
      await test?.close();
    });

    /** Every document of every slice, as the live index holds it. */
    const documents = async () => {
      await test.refresh();
      const docs: ImageMeta[] = [];
      for (const target of targets)
        for await (const doc of test.store.scan(target.tenant, target.source)) docs.push(doc);
      return docs;
    };

    /**
     * Searches one after another, each embedding its query with the model in use and searching the live index;
     * each records the model it used and the models of its hits.
     */
    const searchLoop = (model: ActiveModel) => {
      const searches: { model: string; hits: string[] }[] = [];
      const errors: unknown[] = [];
      let running = true;
      const done = (async () => {
        while (running) {
          await model
            .use(async (embedder) => {
              const [vector] = await embedder.embedTexts(['a photo of a cat']);
              const hits = await test.store.knn({
                vector: vector as Float32Array,
                k: 3,
                scope: { tenant: 'guild-1', includeShared: true },
              });
              searches.push({ model: embedder.modelId, hits: hits.map((h) => h.model_id) });
            })
            .catch((error: unknown) => errors.push(error));
        }
      })();
      return {
        searches,
        errors,
        stop: async () => {
          running = false;
          await done;
        },
      };
    };

    it('rebuilds every slice with the new model behind the index while searches answer, each with one model', async () => {
      const model = new ActiveModel(a);
      const loop = searchLoop(model);
      const report = await switchModel({
        store: test.store,
        embedder: b,
        targets,
        batchSize: 4,
        atSwap: model.swapTo(b),
      });
      // A few searches after the swap.
      while (loop.searches.filter((s) => s.model === b.modelId).length < 3 && loop.errors.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await loop.stop();

      expect(loop.errors).toEqual([]);
      expect(report).toMatchObject({ from: a.modelId, to: b.modelId, resumed: false });
      expect(report.reports.map((r) => r.new)).toEqual(folders.map((f) => f.photos.length));
      const used = loop.searches.map((s) => s.model);
      expect(used[0]).toBe(a.modelId);
      expect(used.at(-1)).toBe(b.modelId);
      // Every search ranked vectors of the model it embedded its query with, and found something.
      for (const search of loop.searches) {
        expect(search.hits.length).toBeGreaterThan(0);
        expect(new Set(search.hits)).toEqual(new Set([search.model]));
      }
      // Once on the new model, never back.
      expect(used.indexOf(b.modelId)).toBe(used.length - used.filter((m) => m === b.modelId).length);

      const stats = await test.store.stats();
      expect(stats).toMatchObject({ modelId: b.modelId, dims: b.dims, count: total });
      const docs = await documents();
      expect(docs).toHaveLength(total);
      expect(new Set(docs.map((d) => d.model_id))).toEqual(new Set([b.modelId]));
      const vectors = await test.store.getVectors(
        docs.map((d) => d.image_id),
        { tenant: 'guild-1', includeShared: true },
      );
      expect(new Set([...vectors.values()].map((v) => v.length))).toEqual(new Set([b.dims]));
      // The old model cannot write into the new index.
      await expect(test.store.ensureIndex({ dims: a.dims, modelId: a.modelId })).rejects.toThrow(a.modelId);
      if (backend === 'elasticsearch') {
        expect((await test.store.stats()).details.leftoverIndices).toEqual([]);
      }
    });

    it('an interrupted switch leaves the old index and model serving, and the next run resumes it', async () => {
      const before = (await documents()).map((d) => `${d.image_id} ${d.model_id}`).sort();
      const stop = new AbortController();
      const interrupted = await switchModel({
        store: test.store,
        embedder: b,
        targets,
        batchSize: 4,
        // The first source is done; the second stops as it starts.
        onSourceDone: () => stop.abort(new Error('interrupted')),
        signal: stop.signal,
      }).catch((error: unknown) => error);
      expect(interrupted).toEqual(new Error('interrupted'));

      // Nothing stored was lost or changed, and the old model still answers.
      expect(await test.store.stats()).toMatchObject({ modelId: a.modelId, dims: a.dims, count: total });
      expect((await documents()).map((d) => `${d.image_id} ${d.model_id}`).sort()).toEqual(before);
      const [query] = (await a.embedTexts(['a photo of a cat'])) as Float32Array[];
      const hits = await test.store.knn({ vector: query!, k: 3, scope: { tenant: '*' } });
      expect(hits.map((h) => h.model_id)).toEqual([a.modelId, a.modelId, a.modelId]);

      const resumed = await switchModel({ store: test.store, embedder: b, targets, batchSize: 4 });
      expect(resumed.resumed).toBe(true);
      // The first source was already in the new index: nothing of it embedded again.
      expect(resumed.reports[0]).toMatchObject({ new: 0, unchanged: folders[0]!.photos.length });
      expect(resumed.reports[1]).toMatchObject({ new: folders[1]!.photos.length });
      const docs = await documents();
      expect(docs).toHaveLength(total);
      expect(new Set(docs.map((d) => d.model_id))).toEqual(new Set([b.modelId]));
    });

    it('an unfinished switch is dropped by a switch to another model, and can be aborted', async () => {
      const first = await test.store.beginModelSwitch({ dims: b.dims, modelId: b.modelId });
      await first.store.close();
      const other = await test.store.beginModelSwitch({ dims: 64, modelId: 'yet-another-model' });
      expect(other.resumed).toBe(false);
      await test.store.abortModelSwitch(other);
      const again = await test.store.beginModelSwitch({ dims: b.dims, modelId: b.modelId });
      expect(again.resumed).toBe(false);
      await test.store.abortModelSwitch(again);
      expect(await test.store.stats()).toMatchObject({ modelId: a.modelId, count: total });
      if (backend === 'elasticsearch') {
        expect((await test.store.stats()).details.leftoverIndices).toEqual([]);
      }
    });

    it('refuses, changing nothing, a switch that cannot rebuild every slice, or to the model it has', async () => {
      const refused = await switchModel({
        store: test.store,
        embedder: b,
        targets: targets.slice(0, 1),
      }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(InputError);
      expect((refused as Error).message).toContain(`${targets[1]!.source} (tenant guild-1, 2 images)`);
      expect((refused as Error).message).toContain('Nothing was changed');
      await expect(switchModel({ store: test.store, embedder: a, targets })).rejects.toThrow(/already holds/);
      expect(await test.store.stats()).toMatchObject({ modelId: a.modelId, count: total });
      if (backend === 'elasticsearch') {
        expect((await test.store.stats()).details.leftoverIndices).toEqual([]);
      }
    });
  });
