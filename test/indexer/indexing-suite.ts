// The indexer end to end on a fixture tree: real model (tiny CLIP), real sharp, and a real store (SQLite, or an
// Elasticsearch node). Each backend's test file runs this suite.
import { copyFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { indexSource, summaryLine, type IndexReport } from '../../src/indexer/index-source.js';
import { thumbnailEdge } from '../../src/indexer/thumbnail.js';
import { ServiceError } from '../../src/util/errors.js';
import type { IndexOptions } from '../../src/indexer/types.js';
import { shardOf } from '../../src/indexer/shard.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { folderSourceId, openFolderSource } from '../../src/sources/folder.js';
import { imageId } from '../../src/store/ids.js';
import type { ImageMeta } from '../../src/store/types.js';
import { tempDir } from '../helpers/bot.js';
import { backendConfig, openTestStore, sliceState, type Backend, type TestStore } from './helpers/stores.js';
import { badReasons, fixtureTree, variantJpeg, type FixtureTree } from './helpers/tree.js';
import { cosine } from '../model/helpers/fixtures.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures');

export const indexingSuite = (backend: Backend) =>
  describe(`indexing a folder (${backend} store)`, () => {
    let embedder: Embedder;
    let data: Awaited<ReturnType<typeof tempDir>>;
    let tree: FixtureTree;
    let test: TestStore;
    let source: string;

    beforeAll(async () => {
      data = await tempDir();
      embedder = await openEmbedder(backendConfig('embedded', data.dir));
    });
    afterAll(async () => {
      await embedder?.close();
      await data?.remove();
    });
    beforeEach(async () => {
      tree = await fixtureTree();
      source = folderSourceId(tree.root);
      test = await openTestStore(backend, path.join(data.dir, String(Math.random()).slice(2)));
    });
    afterEach(async () => {
      await test?.close();
      await tree?.remove();
    });

    const run = async (options: Partial<IndexOptions> = {}, store = test.store): Promise<IndexReport> => {
      await test.refresh();
      const folder = await openFolderSource({ root: tree.root, tenant: '*', maxBytes: 50_000_000 });
      const report = await indexSource({
        source: folder,
        store,
        embedder,
        batchSize: 4,
        concurrency: 2,
        ...options,
      });
      await test.refresh();
      return report;
    };
    const state = () => sliceState(test.store, '*', source);
    const docs = async () => {
      const all = new Map<string, ImageMeta>();
      for await (const doc of test.store.scan('*', source)) all.set(doc.relative_path as string, doc);
      return all;
    };
    const sorted = (list: { input: string }[] | undefined) => (list ?? []).map((f) => f.input).sort();

    it('indexes every good image once, reports every bad one with its reason, skips what is not its to read', async () => {
      const report = await run();

      expect(sorted(report.failed)).toEqual([...tree.badKeys.keys()].sort());
      for (const failure of report.failed) {
        expect(failure.reason).toMatch(badReasons[tree.badKeys.get(failure.input) as string] as RegExp);
      }
      expect(sorted(report.skipped)).toEqual(tree.skippedKeys);
      expect(report).toMatchObject({ new: tree.goodKeys.length, updated: 0, unchanged: 0, deleted: 0 });

      const byPath = await docs();
      const copies = new Set(tree.duplicates.map(([a, b]) => (a < b ? b : a)));
      expect([...byPath.keys()].sort()).toEqual(tree.goodKeys.filter((k) => !copies.has(k)).sort());
      for (const [a, b] of tree.duplicates) {
        const [first, second] = a < b ? [a, b] : [b, a];
        expect(byPath.get(first)?.other_paths).toEqual([second]);
      }
      const cat = byPath.get('albums/photo-cat.jpg') as ImageMeta;
      expect(cat).toMatchObject({
        image_id: imageId(source, 'albums/photo-cat.jpg'),
        image_name: 'photo-cat.jpg',
        source,
        tenant: '*',
        width: 451,
        height: 300,
        bytes: 35042,
        sha256: '2c0357a57121a80b7145db42b093f743c9a0405e33f9e48fd102319a6ce3af89',
        model_id: embedder.modelId,
      });
      expect(cat.mtime).toBeGreaterThan(0);
      expect(await test.store.count({ tenant: '*' })).toBe(byPath.size);
    });

    it('gives every document a thumbnail; a store refusing them is reported, and the next run makes them without embedding again', async () => {
      const refusing = Object.create(test.store, {
        setThumbnails: {
          value: () => Promise.reject(new ServiceError(backend, 'no space left for thumbnails')),
        },
      }) as typeof test.store;
      const first = await run({}, refusing);
      expect(first).toMatchObject({ new: tree.goodKeys.length });
      expect(first.thumbnails?.storeError).toMatch(/no space left for thumbnails/);
      expect(summaryLine(first)).toMatch(/thumbnails not stored \(.*no space left.*\): search works/);
      const before = await docs();
      const ids = [...before.values()].map((d) => d.image_id).sort();
      expect((await test.store.lackingThumbnails(ids)).sort()).toEqual(ids);

      const second = await run();
      expect(second).toMatchObject({ new: 0, updated: 0, unchanged: tree.goodKeys.length });
      // The same files fail for the same reasons. Only the kind is compared: libvips keeps one error buffer
      // for all its threads, so the decoder's detail after it can come out cut short when two fail at once.
      const kinds = (failed: typeof first.failed) =>
        failed.map(({ input, reason }) => ({ input, reason: reason.split(':')[0] }));
      expect(kinds(second.failed)).toEqual(kinds(first.failed));
      expect(second.thumbnails).toEqual({ made: ids.length, failed: [] });
      // Nothing was embedded or rewritten: the documents are the ones the first run wrote.
      expect(await docs()).toEqual(before);
      expect(await test.store.lackingThumbnails(ids)).toEqual([]);
      const thumbnails = await test.store.getThumbnails(ids, { tenant: '*' });
      expect([...thumbnails.keys()].sort()).toEqual(ids);
      for (const bytes of thumbnails.values()) {
        const meta = await sharp(bytes).metadata();
        expect(meta.format).toBe('jpeg');
        expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(thumbnailEdge);
      }
      // A third run finds nothing to do.
      expect((await run()).thumbnails).toBeUndefined();
    });

    it('skips everything on a second run', async () => {
      await run();
      const before = await docs();
      const report = await run();
      expect(report).toMatchObject({ new: 0, updated: 0, unchanged: tree.goodKeys.length, deleted: 0 });
      const after = await docs();
      expect([...after.values()].map((d) => d.indexed_at)).toEqual(
        [...before.values()].map((d) => d.indexed_at),
      );
    });

    it('embeds a changed file again, and only notes the new time of a touched one', async () => {
      await run();
      const before = await docs();
      await writeFile(path.join(tree.root, 'albums/photo-china.jpg'), await variantJpeg(3));
      const later = new Date(Date.now() + 60_000);
      await utimes(path.join(tree.root, 'albums/photo-coffee.jpg'), later, later);

      const report = await run();
      expect(report).toMatchObject({ new: 0, updated: 1, unchanged: tree.goodKeys.length - 1, deleted: 0 });
      const after = await docs();
      const china = after.get('albums/photo-china.jpg') as ImageMeta;
      expect(china.sha256).not.toBe(before.get('albums/photo-china.jpg')?.sha256);
      const vectors = await test.store.getVectors([china.image_id], { tenant: '*' });
      const [vector] = (await embedder.embedImages([
        { name: 'v', bytes: await variantJpeg(3) },
      ])) as Float32Array[];
      expect(cosine(vectors.get(china.image_id) as Float32Array, vector as Float32Array)).toBeGreaterThan(
        0.999,
      );
      const coffee = after.get('albums/photo-coffee.jpg') as ImageMeta;
      expect(coffee.sha256).toBe(before.get('albums/photo-coffee.jpg')?.sha256);
      expect(coffee.mtime).toBe(
        Math.trunc((await stat(path.join(tree.root, 'albums/photo-coffee.jpg'))).mtimeMs),
      );
      expect(coffee.mtime).not.toBe(before.get('albums/photo-coffee.jpg')?.mtime);
    });

    it('removes deleted files, and a deleted copy from its original’s other_paths', async () => {
      await run();
      await rm(path.join(tree.root, 'albums/photo-coffee.jpg'));
      await rm(path.join(tree.root, 'copies/cat.jpg'));
      const report = await run();
      expect(report).toMatchObject({ new: 0, updated: 0, deleted: 2, unchanged: tree.goodKeys.length - 2 });
      const after = await docs();
      expect(after.has('albums/photo-coffee.jpg')).toBe(false);
      expect(after.get('albums/photo-cat.jpg')?.other_paths).toBeUndefined();
    });

    it('keeps the document of a good file that turned corrupt, and reports it', async () => {
      await run();
      const before = await state();
      await copyFile(
        path.join(fixtures, 'images/truncated.jpg'),
        path.join(tree.root, 'albums/photo-flower.jpg'),
      );
      const report = await run();
      // The link points at the same file, so both fail; the document keeps its last good content.
      expect(sorted(report.failed)).toEqual(
        [...tree.badKeys.keys(), 'albums/photo-flower.jpg', 'flower-link.jpg'].sort(),
      );
      expect(await state()).toEqual(before);
    });

    it('reports in a dry run exactly what the real run then does, and writes nothing', async () => {
      await run();
      const before = await state();
      await rm(path.join(tree.root, 'albums/photo-coffee.jpg'));
      await writeFile(path.join(tree.root, 'albums/new.jpg'), await variantJpeg(5));
      await writeFile(path.join(tree.root, 'albums/photo-china.jpg'), await variantJpeg(6));

      const dry = await run({ dryRun: true });
      expect(dry).toMatchObject({ dryRun: true, new: 1, updated: 1, deleted: 1 });
      expect(await state()).toEqual(before);
      const { thumbnails, ...real } = await run();
      // Only a real run makes thumbnails: of the new and the changed image.
      expect(thumbnails).toEqual({ made: 2, failed: [] });
      expect({ ...real, jobId: '', startedAt: '', durationMs: 0, dryRun: true }).toEqual({
        ...dry,
        jobId: '',
        startedAt: '',
        durationMs: 0,
      });
    });

    it('keeps the documents of vanished files with keepMissing', async () => {
      await run();
      const before = await state();
      await rm(path.join(tree.root, 'albums/photo-coffee.jpg'));
      await rm(path.join(tree.root, 'copies/cat.jpg'));
      const report = await run({ keepMissing: true });
      expect(report).toMatchObject({ deleted: 0, new: 0, updated: 0 });
      expect(await state()).toEqual(before);
    });

    it('indexes the same documents in two shards as in one run, duplicates across shards included', async () => {
      // A copy of the coffee photo whose key falls in the other shard than the photo's.
      const shardOfKey = (key: string) => shardOf(imageId(source, key), 2);
      const copy = Array.from({ length: 64 }, (_, i) => `copies/coffee-${i}.jpg`).find(
        (key) => shardOfKey(key) !== shardOfKey('albums/photo-coffee.jpg'),
      ) as string;
      await copyFile(path.join(fixtures, 'images/photo-coffee.jpg'), path.join(tree.root, copy));

      const other = await openTestStore(backend, path.join(data.dir, 'unsharded'));
      try {
        const whole = await run({}, other.store);
        const second = await run({ shard: { index: 1, count: 2 } });
        const first = await run({ shard: { index: 0, count: 2 } });
        await other.refresh();
        expect(await state()).toEqual(await sliceState(other.store, '*', source));
        // Each good file is counted by its own shard (as new, or unchanged when the other shard already listed it).
        const counted = (r: IndexReport) => r.new + r.updated + r.unchanged;
        expect(counted(first) + counted(second)).toBe(whole.new);
        expect([...sorted(first.failed), ...sorted(second.failed)].sort()).toEqual(sorted(whole.failed));
        expect(first.shard).toEqual({ index: 0, count: 2 });
      } finally {
        await other.close();
      }
    });

    it('rebuilds in full behind the index while searches keep answering', async () => {
      await run();
      const before = await state();
      const count = before.length;
      const probe = (await docs()).get('albums/photo-cat.jpg') as ImageMeta;
      const query = (await test.store.getVectors([probe.image_id], { tenant: '*' })).get(
        probe.image_id,
      ) as Float32Array;

      let searches = 0;
      let rebuilding = true;
      const searching = (async () => {
        while (rebuilding) {
          const hits = await test.store.knn({ vector: query, k: count, scope: { tenant: '*' } });
          expect(hits.length).toBe(count);
          expect(hits[0]?.image_id).toBe(probe.image_id);
          searches++;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const report = await run({ full: true }).finally(() => (rebuilding = false));
      await searching;

      expect(searches).toBeGreaterThan(0);
      expect(report).toMatchObject({
        full: true,
        new: 0,
        updated: 0,
        unchanged: tree.goodKeys.length,
        deleted: 0,
      });
      expect(await state()).toEqual(before);
    });
  });
