// Random histories of a folder (files added, replaced, deleted, copied, made corrupt), each step indexed in
// one of the ways a run can go: interrupted by a store failure after a random number of writes and run again,
// split into 2 or 3 shards, rebuilt in full, with keepMissing. After every step the index must hold exactly
// what a twin index gets from one uninterrupted run per step, and another run must change nothing.
import { copyFileSync, existsSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSource } from '../../src/indexer/index-source.js';
import type { IndexOptions } from '../../src/indexer/types.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { folderSourceId, openFolderSource } from '../../src/sources/folder.js';
import type { VectorStore } from '../../src/store/types.js';
import { ServiceError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/bot.js';
import { seededRandom } from '../store/elasticsearch-support.js';
import { backendConfig, openTestStore, sliceState } from './helpers/stores.js';

const images = path.resolve(import.meta.dirname, '../fixtures/images');
const all = readdirSync(images).map((name) => path.join(images, name));
const good = all.filter((file) => !/bomb|corrupt|empty|not-an-image|truncated|vector/.test(file));
const names = [
  'a/x.jpg',
  'a/y.jpg',
  'b/x.jpg',
  'b/z.png',
  'c/d/e.jpg',
  'f.jpg',
  'g.jpg',
  'h/i.jpg',
  'h/j.jpg',
  'k.webp',
];

/** The real store, failing (as a dead disk or cluster would) on its `after`+1-th write or delete. */
function failingAfter(store: VectorStore, after: number): VectorStore {
  let writes = 0;
  const write =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    async (...args: A) => {
      if (++writes > after) throw new ServiceError('store', 'the store went away');
      return operation.apply(store, args);
    };
  return Object.assign(Object.create(store) as VectorStore, {
    upsert: write(store.upsert),
    delete: write(store.delete),
  });
}

describe('indexing converges', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let embedder: Embedder;

  beforeAll(async () => {
    data = await tempDir();
    embedder = await openEmbedder(backendConfig('embedded', data.dir));
  });
  afterAll(async () => {
    await embedder?.close();
    await data?.remove();
  });

  // Among them, seeds whose histories caught earlier mistakes (cross-shard duplicates that fail to decode,
  // a shard dropping keys it held for another's document).
  it.each([3, 7, 9, 11, 19, 20, 23, 27])('through a random history (seed %i)', async (seed) => {
    const random = seededRandom(seed);
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)] as T;
    const root = path.join(data.dir, `tree-${seed}`);
    mkdirSync(root);
    const source = folderSourceId(root);
    const live = await openTestStore('embedded', path.join(data.dir, `live-${seed}`));
    const twin = await openTestStore('embedded', path.join(data.dir, `twin-${seed}`));
    const run = async (store: VectorStore, options: Partial<IndexOptions> = {}) =>
      indexSource({
        source: await openFolderSource({ root, tenant: '*', maxBytes: 50_000_000 }),
        store,
        embedder,
        batchSize: 2,
        concurrency: 2,
        ...options,
      });
    try {
      for (let step = 0; step < 10; step++) {
        for (let change = 0; change < 4; change++) {
          const file = path.join(root, pick(names));
          if (random() < 0.25 && existsSync(file)) unlinkSync(file);
          else {
            mkdirSync(path.dirname(file), { recursive: true });
            copyFileSync(random() < 0.15 ? pick(all) : pick(good), file);
          }
        }
        const full = random() < 0.2;
        const keepMissing = random() < 0.3;
        const shards = !full && random() < 0.4 ? (random() < 0.5 ? 2 : 3) : 1;
        if (random() < 0.6) {
          const shard =
            shards > 1 && random() < 0.5
              ? { shard: { index: Math.floor(random() * shards), count: shards } }
              : {};
          // It stops at the store failure, or finishes first when it needed fewer writes.
          await run(failingAfter(live.store, Math.floor(random() * 6)), {
            full,
            keepMissing,
            ...shard,
          }).catch((error: unknown) => {
            if (!(error instanceof ServiceError)) throw error;
          });
        }
        for (let index = shards - 1; index >= 0; index--) {
          await run(live.store, {
            full,
            keepMissing,
            ...(shards > 1 && { shard: { index, count: shards } }),
          });
        }
        await run(twin.store, { full, keepMissing });

        const expected = await sliceState(twin.store, '*', source);
        expect(await sliceState(live.store, '*', source), `step ${step}`).toEqual(expected);
        const again = await run(live.store, { keepMissing });
        expect(again.new + again.updated + again.deleted, `step ${step}`).toBe(0);
        expect(await sliceState(live.store, '*', source)).toEqual(expected);
      }
    } finally {
      await live.close();
      await twin.close();
    }
  });

  it('keeps a failed copy in the index whatever write a run is stopped at, when its original changes', async () => {
    const coffee = path.join(images, 'photo-coffee.jpg');
    for (let stopAfter = 0; stopAfter < 4; stopAfter++) {
      const root = path.join(data.dir, `moved-${stopAfter}`);
      mkdirSync(root);
      const source = folderSourceId(root);
      const run = async (store: VectorStore) =>
        indexSource({
          source: await openFolderSource({ root, tenant: '*', maxBytes: 50_000_000 }),
          store,
          embedder,
        });
      const live = await openTestStore('embedded', path.join(data.dir, `moved-live-${stopAfter}`));
      const twin = await openTestStore('embedded', path.join(data.dir, `moved-twin-${stopAfter}`));
      try {
        // c.jpg holds f.jpg, a copy; then f.jpg is cut short: it keeps its place as c.jpg's copy.
        copyFileSync(coffee, path.join(root, 'c.jpg'));
        copyFileSync(coffee, path.join(root, 'f.jpg'));
        for (const test of [live, twin]) await run(test.store);
        copyFileSync(path.join(images, 'truncated.jpg'), path.join(root, 'f.jpg'));
        for (const test of [live, twin]) await run(test.store);
        // c.jpg changes; k.jpg now has the coffee photo, so f.jpg's place moves to k.jpg's document.
        copyFileSync(path.join(images, 'photo-cat.jpg'), path.join(root, 'c.jpg'));
        copyFileSync(coffee, path.join(root, 'k.jpg'));
        await run(failingAfter(live.store, stopAfter)).catch((error: unknown) => {
          if (!(error instanceof ServiceError)) throw error;
        });
        await run(live.store);
        await run(twin.store);
        const expected = await sliceState(twin.store, '*', source);
        expect(expected.some((line) => / k\.jpg \w+ \[f\.jpg\]$/.test(line))).toBe(true);
        expect(await sliceState(live.store, '*', source), `stopped after ${stopAfter} writes`).toEqual(
          expected,
        );
      } finally {
        await live.close();
        await twin.close();
      }
    }
  });
});
