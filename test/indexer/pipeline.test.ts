// How a run behaves under pressure: a slow store or model, a store that fails, a cancelled run, progress.
// The real model and store, slowed down or made to fail by wrapping them; nothing of the indexer is replaced.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { indexSource } from '../../src/indexer/index-source.js';
import { inFlightLimit } from '../../src/indexer/pipeline.js';
import { makeThumbnail } from '../../src/indexer/thumbnail.js';
import type { IndexOptions, IndexProgress } from '../../src/indexer/types.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { folderSourceId, openFolderSource } from '../../src/sources/folder.js';
import type { Reindex, VectorStore } from '../../src/store/types.js';
import { ServiceError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/bot.js';
import { backendConfig, openTestStore, sliceState, type TestStore } from './helpers/stores.js';
import { largePhotoPair } from './helpers/phone-photo.js';
import { generatedFolder } from './helpers/tree.js';

const batchSize = 4;
const concurrency = 2;

describe('indexing pipeline', () => {
  let folder: Awaited<ReturnType<typeof generatedFolder>>;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let embedder: Embedder;
  let test: TestStore;

  beforeAll(async () => {
    folder = await generatedFolder(40, 4);
    data = await tempDir();
    embedder = await openEmbedder(backendConfig('embedded', data.dir));
  });
  afterAll(async () => {
    await embedder?.close();
    await folder?.remove();
    await data?.remove();
  });
  beforeEach(async () => {
    test = await openTestStore('embedded', path.join(data.dir, String(Math.random()).slice(2)));
  });
  afterEach(async () => test?.close());

  const run = async (options: Partial<IndexOptions> & { store?: VectorStore; embedder?: Embedder } = {}) =>
    indexSource({
      source: await openFolderSource({ root: folder.root, tenant: '*', maxBytes: 50_000_000 }),
      store: test.store,
      embedder,
      batchSize,
      concurrency,
      ...options,
    });
  const state = () => sliceState(test.store, '*', folderSourceId(folder.root));

  /** The real embedder and store, counting images decoded and documents stored; either may be slowed down. */
  function counted(delays: { storeMs?: number; modelMs?: number }) {
    let decoded = 0;
    let stored = 0;
    let most = 0;
    const track = () => (most = Math.max(most, decoded - stored));
    const slowEmbedder: Embedder = Object.assign(Object.create(embedder) as Embedder, {
      prepareImage: async (...args: Parameters<Embedder['prepareImage']>) => {
        const image = await embedder.prepareImage(...args);
        decoded++;
        track();
        return image;
      },
      embedPrepared: async (...args: Parameters<Embedder['embedPrepared']>) => {
        if (delays.modelMs) await sleep(delays.modelMs);
        return embedder.embedPrepared(...args);
      },
    });
    const slowStore: VectorStore = Object.assign(Object.create(test.store) as VectorStore, {
      upsert: async (...args: Parameters<VectorStore['upsert']>) => {
        if (delays.storeMs) await sleep(delays.storeMs);
        const result = await test.store.upsert(...args);
        stored += result.written;
        return result;
      },
    });
    return { embedder: slowEmbedder, store: slowStore, most: () => most, decoded: () => decoded };
  }

  it.each([
    ['store', { storeMs: 150 }],
    ['model', { modelMs: 150 }],
  ])('holds a bounded number of decoded images when the %s is slow', async (_, delays) => {
    const slow = counted(delays);
    const report = await run({ store: slow.store, embedder: slow.embedder });
    expect(report.new).toBe(folder.keys.length);
    expect(slow.decoded()).toBe(40);
    expect(slow.most()).toBeLessThanOrEqual(inFlightLimit(concurrency, batchSize));
    expect(inFlightLimit(concurrency, batchSize)).toBe(20);
    expect(slow.most()).toBeGreaterThanOrEqual(batchSize);
  });

  it('stops at a store failure with its error, keeps what was written, and a re-run completes', async () => {
    let writes = 0;
    const failing: VectorStore = Object.assign(Object.create(test.store) as VectorStore, {
      upsert: async (...args: Parameters<VectorStore['upsert']>) => {
        if (++writes === 3)
          throw new ServiceError('embedded store', 'upsert failed on the disk: SQLITE_FULL');
        return test.store.upsert(...args);
      },
    });
    await expect(run({ store: failing })).rejects.toThrow('upsert failed on the disk: SQLITE_FULL');
    expect((await state()).length).toBe(2 * batchSize);

    const report = await run();
    expect(report.new + report.unchanged).toBe(folder.keys.length);
    const clean = await openTestStore('embedded', path.join(data.dir, 'clean'));
    try {
      await run({ store: clean.store });
      expect(await state()).toEqual(await sliceState(clean.store, '*', folderSourceId(folder.root)));
    } finally {
      await clean.close();
    }
  });

  it('abandons a failed full rebuild, leaving the index as it was', async () => {
    await run();
    const before = await state();
    let aborted = 0;
    const failing: VectorStore = Object.assign(Object.create(test.store) as VectorStore, {
      beginReindex: async (slice: { tenant: string; source: string }) => {
        const reindex = await test.store.beginReindex(slice);
        let writes = 0;
        return {
          id: reindex.id,
          upsert: async (docs) => {
            if (++writes === 2) throw new ServiceError('embedded store', 'reindex upsert failed');
            return reindex.upsert(docs);
          },
        } satisfies Reindex;
      },
      abortReindex: async (reindex: Reindex) => {
        aborted++;
        return test.store.abortReindex(reindex);
      },
    });
    await expect(run({ store: failing, full: true })).rejects.toThrow('reindex upsert failed');
    expect(aborted).toBe(1);
    expect(await state()).toEqual(before);
  });

  it('stops when cancelled, and a re-run completes', async () => {
    const cancel = new AbortController();
    const cancelling: VectorStore = Object.assign(Object.create(test.store) as VectorStore, {
      upsert: async (...args: Parameters<VectorStore['upsert']>) => {
        cancel.abort(new Error('stop now'));
        return test.store.upsert(...args);
      },
    });
    await expect(run({ store: cancelling, signal: cancel.signal })).rejects.toThrow('stop now');
    expect((await state()).length).toBeLessThan(folder.keys.length);
    const report = await run();
    expect(report.new + report.unchanged).toBe(folder.keys.length);
  });

  it('makes the thumbnail of a large JPEG from the pixels its model input came from: same size, upright', async () => {
    const photos = await tempDir();
    try {
      const { upright, turned } = await largePhotoPair();
      await writeFile(path.join(photos.dir, 'upright.jpg'), upright);
      await writeFile(path.join(photos.dir, 'turned.jpg'), turned);
      // The real embedder, noting which images came back with their decoded pixels (decoded once).
      const decodedOnce: string[] = [];
      const watched: Embedder = Object.assign(Object.create(embedder) as Embedder, {
        prepareImage: async (...args: Parameters<Embedder['prepareImage']>) => {
          const image = await embedder.prepareImage(...args);
          if (image.upright) decodedOnce.push(image.name);
          return image;
        },
      });
      const source = await openFolderSource({ root: photos.dir, tenant: '*', maxBytes: 50_000_000 });
      const report = await indexSource({
        source,
        store: test.store,
        embedder: watched,
        batchSize,
        concurrency,
      });
      expect(report).toMatchObject({ new: 2, failed: [] });
      expect(decodedOnce.sort()).toEqual(['turned.jpg', 'upright.jpg']);

      const ids: string[] = [];
      for await (const doc of test.store.scan('*', folderSourceId(photos.dir))) ids.push(doc.image_id);
      const thumbnails = await test.store.getThumbnails(ids, { tenant: '*' });
      expect(thumbnails.size).toBe(2);
      const reference = await sharp(await makeThumbnail('upright', upright))
        .raw()
        .toBuffer({ resolveWithObject: true });
      for (const bytes of thumbnails.values()) {
        const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
        // What makeThumbnail makes of the bytes: 256x192, upright, the same picture within a grey level or two.
        expect(info).toEqual(reference.info);
        let sum = 0;
        for (let i = 0; i < data.length; i++)
          sum += Math.abs((data[i] as number) - (reference.data[i] as number));
        expect(sum / data.length).toBeLessThan(2);
      }
    } finally {
      await photos.remove();
    }
  });

  it('reports progress through its phases, with a rate and an estimate', async () => {
    const seen: IndexProgress[] = [];
    const report = await run({ onProgress: (p) => seen.push(p) });
    const phases = seen.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['scanning', 'indexing', 'committing', 'done']);
    const last = seen.filter((p) => p.phase === 'indexing').at(-1) as IndexProgress;
    expect(seen.at(-1)).toMatchObject({
      jobId: report.jobId,
      done: folder.keys.length,
      total: folder.keys.length,
    });
    expect(last.ratePerSecond).toBeGreaterThan(0);
    expect(last.etaSeconds).toBeGreaterThanOrEqual(0);
  });
});
