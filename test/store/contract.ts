/**
 * The VectorStore contract: every backend runs this suite from its own test file.
 *
 * describeStoreContract(name, makeStore): makeStore is called before every test and must resolve to
 *   { store, cleanup, settle? }
 * - store: a fresh, empty store of its own (its own index / data folder), not yet ensureIndex'ed.
 * - cleanup(): closes the store and removes everything it wrote. Called after every test.
 * - settle() (optional): makes every write acknowledged so far visible to knn / count / scan / get
 *   (Elasticsearch: refresh). The suite calls it after writes and never sleeps. A committed reindex must
 *   be searchable at once: queries running while commitReindex runs see the old data or the new, never a mix.
 *
 * Conventions pinned here so backends agree: scores are cosine similarities (within 0.01 of exact);
 * filter lists are sets (an empty list matches nothing); visibleChannels always admits documents without a
 * channel_id; per-document upsert failures carry the document's image_id.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/model/types.js';
import { SearchService } from '../../src/search/service.js';
import type { ImageDocument, Reindex, TenantScope, VectorStore } from '../../src/store/types.js';
import { contractDims as dims, contractModel, ids, makeDoc, metaOf, sortedIds } from './helpers/docs.js';
import { atCosine, exactRanking, randomUnit } from './helpers/vectors.js';

export interface StoreUnderTest {
  store: VectorStore;
  cleanup(): Promise<void>;
  settle?(): Promise<void>;
}

const scoreTolerance = 0.01;
const tenantA: TenantScope = { tenant: 'tenant-a' };

export function describeStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`VectorStore contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: VectorStore;
    const settle = async () => {
      await sut.settle?.();
    };
    /** Writes documents that must all succeed, then makes them searchable. */
    const write = async (docs: ImageDocument[]) => {
      const result = await store.upsert(docs);
      expect(result.failed).toEqual([]);
      expect(result.written).toBe(docs.length);
      await settle();
    };
    const knnIds = async (vector: Float32Array, scope: TenantScope, extra: object = {}) =>
      ids(await store.knn({ vector, k: 100, scope, ...extra }));

    beforeEach(async () => {
      sut = await makeStore();
      store = sut.store;
      await store.ensureIndex({ dims, modelId: contractModel });
    });
    afterEach(async () => {
      await sut.cleanup();
    });

    describe('index', () => {
      it('ensureIndex is idempotent and stats report the backend, dims, model and count', async () => {
        await store.ensureIndex({ dims, modelId: contractModel });
        await write([makeDoc({ image_id: 'x', image_embedding: randomUnit(dims, 1) })]);
        const stats = await store.stats();
        expect(stats).toMatchObject({ backend: store.backend, dims, modelId: contractModel, count: 1 });
      });

      it('refuses other dims with an error naming both, and keeps the data', async () => {
        await write([makeDoc({ image_id: 'x', image_embedding: randomUnit(dims, 1) })]);
        const error = await store.ensureIndex({ dims: 24, modelId: contractModel }).catch((e: Error) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/\b16\b/);
        expect((error as Error).message).toMatch(/\b24\b/);
        expect(await store.count(tenantA)).toBe(1);
      });

      it('refuses another model with an error naming both and saying what to do', async () => {
        const error = await store.ensureIndex({ dims, modelId: 'other-model' }).catch((e: Error) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toContain(contractModel);
        expect((error as Error).message).toContain('other-model');
        expect((error as Error).message).toMatch(
          /run with the model that built it.*--switch-model.*\/reindex full/,
        );
      });
    });

    describe('upsert', () => {
      it('is idempotent by image_id: no duplicates, the latest version wins', async () => {
        const docs = Array.from({ length: 10 }, (_, i) =>
          makeDoc({ image_id: `doc-${i}`, image_embedding: randomUnit(dims, 100 + i) }),
        );
        await write(docs);
        await write(docs);
        await write([{ ...docs[3]!, image_name: 'renamed.jpg' }]);
        expect(await store.count(tenantA)).toBe(10);
        const found = await knnIds(randomUnit(dims, 7), tenantA);
        expect(found.sort()).toEqual(sortedIds(docs));
        expect((await store.get(['doc-3']))[0]?.image_name).toBe('renamed.jpg');
        expect((await store.stats()).count).toBe(10);
      });

      it('reports exactly the bad documents of a batch and writes the good ones', async () => {
        const good = Array.from({ length: 5 }, (_, i) =>
          makeDoc({ image_id: `good-${i}`, image_embedding: randomUnit(dims, 200 + i) }),
        );
        const withNaN = randomUnit(dims, 9);
        withNaN[4] = Number.NaN;
        const bad = [
          makeDoc({ image_id: 'bad-dims', image_embedding: randomUnit(dims + 4, 1) }),
          makeDoc({ image_id: 'bad-nan', image_embedding: withNaN }),
          makeDoc({ image_id: 'bad-model', image_embedding: randomUnit(dims, 2), model_id: 'other-model' }),
          makeDoc({ image_id: 'bad-tenant', image_embedding: randomUnit(dims, 3), tenant: '' }),
        ];
        const result = await store.upsert([
          good[0]!,
          bad[0]!,
          good[1]!,
          bad[1]!,
          good[2]!,
          bad[2]!,
          bad[3]!,
          ...good.slice(3),
        ]);
        await settle();
        expect(result.written).toBe(5);
        expect(result.failed.map((f) => f.image_id).sort()).toEqual(sortedIds(bad));
        const reason = (id: string) => result.failed.find((f) => f.image_id === id)?.reason ?? '';
        expect(reason('bad-dims')).toMatch(/dimension/i);
        expect(reason('bad-nan')).toMatch(/nan|finite/i);
        expect(reason('bad-model')).toContain('other-model');
        expect(reason('bad-tenant')).toMatch(/tenant/);
        expect(await store.count(tenantA)).toBe(5);
        expect(sortedIds(await store.get([...ids(good), ...ids(bad)]))).toEqual(sortedIds(good));
        expect((await knnIds(randomUnit(dims, 5), tenantA)).sort()).toEqual(sortedIds(good));
      });

      it('a bad new version of a document leaves the stored one untouched', async () => {
        const original = makeDoc({ image_id: 'keep', image_embedding: randomUnit(dims, 300) });
        await write([original]);
        const broken = randomUnit(dims, 301);
        broken[0] = Number.POSITIVE_INFINITY;
        const result = await store.upsert([
          { ...original, image_name: 'broken.jpg', image_embedding: broken },
        ]);
        await settle();
        expect(result.failed.map((f) => f.image_id)).toEqual(['keep']);
        expect(await store.get(['keep'])).toEqual([metaOf(original)]);
        const [hit] = await store.knn({ vector: original.image_embedding, k: 1, scope: tenantA });
        expect(hit?.score).toBeCloseTo(1, 2);
      });
    });

    describe('knn', () => {
      const query = randomUnit(dims, 42);
      const cosines = [0.95, 0.9, 0.85, 0.8, 0.75, 0.65, 0.6, 0.55, 0.5, 0.45];
      const near = cosines.map((c, i) =>
        makeDoc({ image_id: `near-${i}`, image_embedding: atCosine(query, c, 500 + i) }),
      );
      const far = Array.from({ length: 20 }, (_, i) =>
        makeDoc({ image_id: `far-${i}`, image_embedding: atCosine(query, -0.5 + (i / 20) * 0.8, 600 + i) }),
      );

      it('ranks by exact cosine order, with cosine scores and metadata but no vector', async () => {
        await write([...far, ...near]);
        const hits = await store.knn({ vector: query, k: 10, scope: tenantA });
        const expected = exactRanking([...near, ...far], query).slice(0, 10);
        expect(ids(hits)).toEqual(expected.map((e) => e.id));
        hits.forEach((hit, i) =>
          expect(Math.abs(hit.score - expected[i]!.score)).toBeLessThan(scoreTolerance),
        );
        expect(hits[0]).toMatchObject(metaOf(near[0]!));
        expect(hits[0]).not.toHaveProperty('image_embedding');
      });

      it('honours k and the similarity threshold', async () => {
        await write([...far, ...near]);
        expect(ids(await store.knn({ vector: query, k: 3, scope: tenantA }))).toEqual(ids(near.slice(0, 3)));
        const above = await store.knn({ vector: query, k: 10, scope: tenantA, similarity: 0.7 });
        expect(ids(above)).toEqual(ids(near.slice(0, 5)));
        expect(await store.knn({ vector: query, k: 10, scope: tenantA, similarity: 0.99 })).toEqual([]);
        expect(await store.knn({ vector: query, k: 100, scope: tenantA })).toHaveLength(30);
      });

      it('refuses a malformed query: a vector of other dims, or k below 1', async () => {
        await write(near);
        await expect(store.knn({ vector: randomUnit(dims + 1, 1), k: 3, scope: tenantA })).rejects.toThrow();
        await expect(store.knn({ vector: query, k: 0, scope: tenantA })).rejects.toThrow();
      });

      it('filters by source and channel, and count agrees', async () => {
        const placed = [
          { source: 's1', channel_id: 'c1' },
          { source: 's1', channel_id: 'c2' },
          { source: 's2', channel_id: 'c1' },
          { source: 's2', channel_id: undefined },
        ].flatMap((where, w) =>
          [0, 1, 2].map((i) =>
            makeDoc({
              image_id: `${where.source}-${where.channel_id ?? 'none'}-${i}`,
              ...where,
              image_embedding: randomUnit(dims, 700 + w * 10 + i),
            }),
          ),
        );
        await write(placed);
        const expectFilter = async (
          filter: { source?: string[]; channel_id?: string[] },
          wanted: ImageDocument[],
        ) => {
          expect((await knnIds(query, tenantA, { filter })).sort()).toEqual(sortedIds(wanted));
          expect(await store.count(tenantA, filter)).toBe(wanted.length);
        };
        await expectFilter(
          { source: ['s2'] },
          placed.filter((d) => d.source === 's2'),
        );
        await expectFilter(
          { channel_id: ['c1'] },
          placed.filter((d) => d.channel_id === 'c1'),
        );
        await expectFilter(
          { source: ['s2'], channel_id: ['c1'] },
          placed.filter((d) => d.source === 's2' && d.channel_id === 'c1'),
        );
        await expectFilter(
          { source: ['s1', 's2'], channel_id: ['c2', 'c9'] },
          placed.filter((d) => d.channel_id === 'c2'),
        );
        await expectFilter({ source: [] }, []);
        await expectFilter({}, placed);
      });

      it('filters by author, format and date inside the search: k hits while more exist, count agrees', async () => {
        const day = 86_400_000;
        const docs = Array.from({ length: 40 }, (_, i) =>
          makeDoc({
            image_id: `f-${i}`,
            author_id: i % 4 === 0 ? 'alice' : 'bob',
            format: i % 5 === 0 ? 'gif' : 'jpeg',
            // Every tenth has no date: a date filter never matches it.
            ...(i % 10 === 9 ? {} : { date: Date.UTC(2024, 0, 1) + i * day, date_kind: 'taken' as const }),
            image_embedding: randomUnit(dims, 900 + i),
          }),
        );
        await write(docs);
        const from = Date.UTC(2024, 0, 1) + 5 * day;
        const until = Date.UTC(2024, 0, 1) + 30 * day;
        const cases: [object, ImageDocument[]][] = [
          [{ author_id: ['alice'] }, docs.filter((d) => d.author_id === 'alice')],
          [{ format: ['gif'] }, docs.filter((d) => d.format === 'gif')],
          [
            { date: { from, until } },
            docs.filter((d) => d.date !== undefined && d.date >= from && d.date < until),
          ],
          [{ date: { from } }, docs.filter((d) => d.date !== undefined && d.date >= from)],
          [
            { author_id: ['bob'], format: ['jpeg'], date: { until } },
            docs.filter(
              (d) => d.author_id === 'bob' && d.format === 'jpeg' && d.date !== undefined && d.date < until,
            ),
          ],
          [{ author_id: ['carol'] }, []],
        ];
        for (const [filter, wanted] of cases) {
          expect((await knnIds(query, tenantA, { filter })).sort(), JSON.stringify(filter)).toEqual(
            sortedIds(wanted),
          );
          expect(await store.count(tenantA, filter)).toBe(wanted.length);
          // Pre-filtered: the best k of the allowed documents, in cosine order, as many as asked while more exist.
          const k = Math.max(1, Math.min(3, wanted.length));
          const top = await store.knn({ vector: query, k, scope: tenantA, filter });
          expect(ids(top)).toEqual(
            exactRanking(wanted, query)
              .slice(0, k)
              .map((r) => r.id),
          );
        }
      });

      it('isolates tenants: shared documents only with includeShared, never another tenant', async () => {
        const docs = [
          makeDoc({ image_id: 'a-1', tenant: 'tenant-a', image_embedding: query }),
          makeDoc({ image_id: 'a-2', tenant: 'tenant-a', image_embedding: near[5]!.image_embedding }),
          makeDoc({ image_id: 'b-1', tenant: 'tenant-b', image_embedding: query }),
          makeDoc({ image_id: 'shared-1', tenant: '*', image_embedding: near[0]!.image_embedding }),
        ];
        await write(docs);
        expect((await knnIds(query, tenantA)).sort()).toEqual(['a-1', 'a-2']);
        expect((await knnIds(query, { tenant: 'tenant-a', includeShared: true })).sort()).toEqual([
          'a-1',
          'a-2',
          'shared-1',
        ]);
        expect(await knnIds(query, { tenant: 'tenant-b', includeShared: false })).toEqual(['b-1']);
        expect(await knnIds(query, { tenant: 'tenant-c', includeShared: true })).toEqual(['shared-1']);
        expect(await knnIds(query, { tenant: 'tenant-c' })).toEqual([]);
        expect(await store.count({ tenant: 'tenant-a', includeShared: true })).toBe(3);
        expect(await store.count({ tenant: 'tenant-b' })).toBe(1);
        expect((await store.stats()).count).toBe(4);
      });

      it('refuses a query or count without a tenant', async () => {
        await write(near);
        await expect(store.knn({ vector: query, k: 3, scope: { tenant: '' } })).rejects.toThrow(/tenant/i);
        await expect(
          store.knn({ vector: query, k: 3, scope: undefined as unknown as TenantScope }),
        ).rejects.toThrow(/tenant/i);
        await expect(store.count({ tenant: '' })).rejects.toThrow(/tenant/i);
      });

      it('visibleChannels admits listed channels and documents without a channel', async () => {
        const docs = [
          makeDoc({ image_id: 'in-c1', channel_id: 'c1', image_embedding: near[0]!.image_embedding }),
          makeDoc({ image_id: 'in-c2', channel_id: 'c2', image_embedding: near[1]!.image_embedding }),
          makeDoc({ image_id: 'no-channel', image_embedding: near[2]!.image_embedding }),
          makeDoc({
            image_id: 'shared-c2',
            tenant: '*',
            channel_id: 'c2',
            image_embedding: near[3]!.image_embedding,
          }),
        ];
        await write(docs);
        expect((await knnIds(query, { ...tenantA, visibleChannels: ['c1'] })).sort()).toEqual([
          'in-c1',
          'no-channel',
        ]);
        expect(await knnIds(query, { ...tenantA, visibleChannels: [] })).toEqual(['no-channel']);
        expect((await knnIds(query, tenantA)).sort()).toEqual(['in-c1', 'in-c2', 'no-channel']);
        const sharedToo = { ...tenantA, includeShared: true, visibleChannels: ['c2'] };
        expect((await knnIds(query, sharedToo)).sort()).toEqual(['in-c2', 'no-channel', 'shared-c2']);
        expect(await store.count(sharedToo)).toBe(3);
      });
    });

    describe('delete, scan and get', () => {
      it('delete removes documents from search, count and get; unknown ids are ignored', async () => {
        const docs = Array.from({ length: 5 }, (_, i) =>
          makeDoc({ image_id: `d-${i}`, image_embedding: randomUnit(dims, 800 + i) }),
        );
        await write(docs);
        await store.delete(['d-1', 'd-3', 'never-there']);
        await settle();
        expect(await store.count(tenantA)).toBe(3);
        expect((await knnIds(randomUnit(dims, 1), tenantA)).sort()).toEqual(['d-0', 'd-2', 'd-4']);
        expect(sortedIds(await store.get(ids(docs)))).toEqual(['d-0', 'd-2', 'd-4']);
      });

      it('scan streams every document of one tenant and source, metadata only, across pages', async () => {
        const slice = Array.from({ length: 1234 }, (_, i) =>
          makeDoc({
            image_id: `p-${i}`,
            source: 'folder:/big',
            relative_path: `a/${i}.jpg`,
            mtime: 1_700_000_000_000 + i,
            image_embedding: randomUnit(dims, 1000 + i),
          }),
        );
        const others = [
          makeDoc({
            image_id: 'other-source',
            source: 'folder:/small',
            image_embedding: randomUnit(dims, 1),
          }),
          makeDoc({
            image_id: 'other-tenant',
            tenant: 'tenant-b',
            source: 'folder:/big',
            image_embedding: randomUnit(dims, 2),
          }),
        ];
        await write([...slice, ...others]);
        const scanned = [];
        for await (const meta of store.scan('tenant-a', 'folder:/big')) scanned.push(meta);
        expect(scanned).toHaveLength(slice.length);
        expect(sortedIds(scanned)).toEqual(sortedIds(slice));
        expect(scanned.find((m) => m.image_id === 'p-77')).toEqual(metaOf(slice[77]!));
        expect(scanned.some((m) => 'image_embedding' in m)).toBe(false);
      });

      it('get returns stored metadata with every optional field, and skips unknown ids', async () => {
        const full = makeDoc({
          image_id: 'full',
          relative_path: 'trips/alps/1.jpg',
          other_paths: ['copies/1.jpg'],
          channel_id: 'c1',
          url: 'https://example.com/1.jpg',
          permalink: 'https://chat.example.com/m/1',
          author_id: 'u1',
          posted_at: '2026-11-01T10:00:00.000Z',
          mtime: 1_700_000_000_123,
          image_embedding: randomUnit(dims, 5),
        });
        await write([full]);
        expect(await store.get(['missing', 'full'])).toEqual([metaOf(full)]);
      });

      it('getVectors returns the stored vectors the scope may see', async () => {
        const mine = makeDoc({ image_id: 'mine', channel_id: 'c1', image_embedding: randomUnit(dims, 11) });
        const hidden = makeDoc({
          image_id: 'hidden',
          channel_id: 'c2',
          image_embedding: randomUnit(dims, 12),
        });
        const theirs = makeDoc({
          image_id: 'theirs',
          tenant: 'tenant-b',
          image_embedding: randomUnit(dims, 13),
        });
        await write([mine, hidden, theirs]);
        const vectors = await store.getVectors(['mine', 'hidden', 'theirs', 'missing'], {
          ...tenantA,
          visibleChannels: ['c1'],
        });
        expect([...vectors.keys()]).toEqual(['mine']);
        const vector = vectors.get('mine')!;
        expect(vector).toHaveLength(dims);
        vector.forEach((x, i) => expect(x).toBeCloseTo(mine.image_embedding[i]!, 5));
      });
    });

    describe('thumbnails', () => {
      const thumb = (id: string, sha: string) => ({
        image_id: id,
        sha256: sha,
        bytes: Buffer.from(`webp of ${id}`),
      });

      it('stores thumbnails beside documents of that content, serves them in scope, never in normal reads', async () => {
        const docs = [
          makeDoc({ image_id: 't-mine', channel_id: 'c1', image_embedding: randomUnit(dims, 21) }),
          makeDoc({ image_id: 't-hidden', channel_id: 'c2', image_embedding: randomUnit(dims, 22) }),
          makeDoc({ image_id: 't-theirs', tenant: 'tenant-b', image_embedding: randomUnit(dims, 23) }),
          makeDoc({ image_id: 't-none', image_embedding: randomUnit(dims, 24) }),
        ];
        await write(docs);
        expect((await store.lackingThumbnails([...ids(docs), 'missing'])).sort()).toEqual(sortedIds(docs));
        const result = await store.setThumbnails([
          thumb('t-mine', 'sha-t-mine'),
          thumb('t-hidden', 'sha-t-hidden'),
          thumb('t-theirs', 'sha-t-theirs'),
          thumb('missing', 'sha-missing'),
        ]);
        expect(result).toEqual({ written: 3, failed: [] });
        await settle();
        expect(await store.lackingThumbnails(ids(docs))).toEqual(['t-none']);
        const shown = await store.getThumbnails([...ids(docs), 'missing'], {
          ...tenantA,
          visibleChannels: ['c1'],
        });
        expect([...shown.keys()]).toEqual(['t-mine']);
        expect(shown.get('t-mine')!.toString()).toBe('webp of t-mine');
        // Normal reads stay as they were: no thumbnail bytes in search results, scans or gets.
        expect(await store.get(['t-mine'])).toEqual([metaOf(docs[0]!)]);
        const hits = await store.knn({ vector: randomUnit(dims, 21), k: 10, scope: tenantA });
        expect(hits.every((h) => !('thumbnail' in h) && !('thumbnail_sha256' in h))).toBe(true);
        for await (const meta of store.scan('tenant-a', 'folder:/photos'))
          expect(meta).not.toHaveProperty('thumbnail');
      });

      it('a thumbnail counts only for the content it was made from, and goes with its document', async () => {
        const doc = makeDoc({ image_id: 't-1', image_embedding: randomUnit(dims, 31) });
        await write([doc]);
        expect(await store.setThumbnails([thumb('t-1', 'sha-older')])).toEqual({ written: 0, failed: [] });
        expect(await store.setThumbnails([thumb('t-1', 'sha-t-1')])).toEqual({ written: 1, failed: [] });
        await settle();
        // New content: the old thumbnail is not shown, and the document needs a new one.
        await write([{ ...doc, sha256: 'sha-new' }]);
        expect(await store.lackingThumbnails(['t-1'])).toEqual(['t-1']);
        expect((await store.getThumbnails(['t-1'], tenantA)).size).toBe(0);
        await store.setThumbnails([thumb('t-1', 'sha-new')]);
        await settle();
        expect((await store.getThumbnails(['t-1'], tenantA)).size).toBe(1);
        await store.delete(['t-1']);
        await settle();
        expect((await store.getThumbnails(['t-1'], tenantA)).size).toBe(0);
        expect(await store.lackingThumbnails(['t-1'])).toEqual([]);
      });

      it('refuses an empty or oversized thumbnail by name and writes the rest', async () => {
        await write([
          makeDoc({ image_id: 'ok', image_embedding: randomUnit(dims, 41) }),
          makeDoc({ image_id: 'empty', image_embedding: randomUnit(dims, 42) }),
          makeDoc({ image_id: 'huge', image_embedding: randomUnit(dims, 43) }),
        ]);
        const result = await store.setThumbnails([
          thumb('ok', 'sha-ok'),
          { image_id: 'empty', sha256: 'sha-empty', bytes: Buffer.alloc(0) },
          { image_id: 'huge', sha256: 'sha-huge', bytes: Buffer.alloc(2 * 1024 * 1024) },
        ]);
        expect(result.written).toBe(1);
        expect(result.failed.map((f) => f.image_id)).toEqual(['empty', 'huge']);
        expect(result.failed[1]!.reason).toMatch(/more than/);
      });
    });

    describe('reindex', () => {
      const query = randomUnit(dims, 77);
      const old = Array.from({ length: 5 }, (_, i) =>
        makeDoc({ image_id: `old-${i}`, source: 's1', image_embedding: randomUnit(dims, 900 + i) }),
      );
      // A rebuild finds new images and re-finds some old ones (same image_id, new metadata).
      const refound = { ...old[0]!, image_name: 'refound.jpg', image_embedding: randomUnit(dims, 949) };
      const fresh = [
        refound,
        ...Array.from({ length: 6 }, (_, i) =>
          makeDoc({ image_id: `new-${i}`, source: 's1', image_embedding: randomUnit(dims, 950 + i) }),
        ),
      ];
      const rest = Array.from({ length: 3 }, (_, i) =>
        makeDoc({ image_id: `rest-${i}`, source: 's2', image_embedding: randomUnit(dims, 970 + i) }),
      );
      const otherTenant = makeDoc({
        image_id: 'b-s1',
        tenant: 'tenant-b',
        source: 's1',
        image_embedding: randomUnit(dims, 990),
      });
      const oldSet = sortedIds([...old, ...rest]).join(',');
      const newSet = sortedIds([...fresh, ...rest]).join(',');

      const begin = async (): Promise<Reindex> => {
        await write([...old, ...rest, otherTenant]);
        const reindex = await store.beginReindex({ tenant: 'tenant-a', source: 's1' });
        const result = await reindex.upsert(fresh);
        expect(result).toEqual({ written: fresh.length, failed: [] });
        return reindex;
      };

      it('swaps atomically while queries run: none fails, each sees old or new, and new stays', async () => {
        const reindex = await begin();
        const seen: string[] = [];
        const errors: unknown[] = [];
        let stop = false;
        const queries = (async () => {
          while (!stop) {
            try {
              const found = (await knnIds(query, tenantA)).sort().join(',');
              seen.push(found === oldSet ? 'old' : found === newSet ? 'new' : `mixed: ${found}`);
            } catch (error) {
              errors.push(error);
            }
            await new Promise((resolve) => setImmediate(resolve)); // let the commit interleave
          }
        })();
        while (seen.length === 0 && errors.length === 0)
          await new Promise((resolve) => setImmediate(resolve));
        await store.commitReindex(reindex);
        await settle();
        const afterCommit = seen.length;
        while (seen.length < afterCommit + 3 && errors.length === 0)
          await new Promise((resolve) => setImmediate(resolve));
        stop = true;
        await queries;

        expect(errors).toEqual([]);
        expect(seen[0]).toBe('old');
        expect(seen.at(-1)).toBe('new');
        const firstNew = seen.indexOf('new');
        expect(seen.slice(0, firstNew).every((s) => s === 'old')).toBe(true);
        expect(seen.slice(firstNew).every((s) => s === 'new')).toBe(true);
        expect(await store.count(tenantA)).toBe(fresh.length + rest.length);
        expect(await store.get(ids(old))).toEqual([metaOf(refound)]);
        expect(ids(await store.get(['b-s1']))).toEqual(['b-s1']);
        expect(await store.count({ tenant: 'tenant-b' })).toBe(1);
        expect((await store.stats()).count).toBe(fresh.length + rest.length + 1);
      });

      it('abort leaves the old data, and the aborted reindex cannot be committed', async () => {
        const reindex = await begin();
        await store.abortReindex(reindex);
        await settle();
        expect((await knnIds(query, tenantA)).sort().join(',')).toBe(oldSet);
        await expect(store.commitReindex(reindex)).rejects.toThrow();
        expect((await knnIds(query, tenantA)).sort().join(',')).toBe(oldSet);
      });

      it('reindex upserts report bad documents like upsert does', async () => {
        await write(old);
        const reindex = await store.beginReindex({ tenant: 'tenant-a', source: 's1' });
        const result = await reindex.upsert([
          fresh[1]!,
          makeDoc({ image_id: 'short', source: 's1', image_embedding: randomUnit(dims - 1, 1) }),
        ]);
        expect(result.written).toBe(1);
        expect(result.failed.map((f) => f.image_id)).toEqual(['short']);
        await store.commitReindex(reindex);
        await settle();
        expect(await knnIds(query, tenantA)).toEqual(['new-0']);
      });
    });

    describe('text read from images', () => {
      const found = async (words: string, scope: TenantScope = tenantA, extra: object = {}) =>
        ids(await store.findText({ words, phrase: false, k: 20, scope, ...extra }));
      const textDoc = (image_id: string, text: string, fields: Partial<ImageDocument> = {}) =>
        makeDoc({
          image_id,
          text,
          text_confidence: 0.9,
          text_by: 'test-ocr',
          image_embedding: randomUnit(dims, 5),
          ...fields,
        });

      it('finds words, run-together words, misread words and Chinese, best match first', async () => {
        await write([
          textDoc('error', '502 Bad Gateway\nnginx/1.18.0'),
          textDoc('joined', '503ServiceUnavailable'),
          textDoc('misread', 'Connectlon refused'),
          textDoc('chinese', '服务器错误\n网关超时'),
          textDoc('partial', 'bad weather'),
          textDoc('empty', ''),
          makeDoc({ image_id: 'unread', image_embedding: randomUnit(dims, 6) }),
        ]);
        expect(await found('502 bad gateway')).toEqual(['error']);
        expect(await found('service unavailable')).toEqual(['joined']);
        expect(await found('connection refused')).toEqual(['misread']);
        expect(await found('网关超时')).toEqual(['chinese']);
        // Half the words is not a match: "bad" alone does not make "bad gateway".
        expect(await found('gateway bad')).toEqual(['error']);
        expect(await found('snowy mountain')).toEqual([]);
        const [hit] = await store.findText({ words: '502 gateway', phrase: false, k: 5, scope: tenantA });
        expect(hit?.matched?.sort()).toEqual(['502', 'Gateway']);
        expect(hit).not.toHaveProperty('image_embedding');
        expect(hit).not.toHaveProperty('text_compact');
      });

      it('ranks words standing together in order above the same words apart', async () => {
        await write([textDoc('apart', 'this is not\nfine at all'), textDoc('together', 'this is fine')]);
        expect(await found('this is fine')).toEqual(['together', 'apart']);
        expect(ids(await store.findText({ words: 'is fine', phrase: true, k: 5, scope: tenantA }))).toEqual([
          'together',
        ]);
      });

      it('scopes text matches exactly like knn: tenant, shared, visible channels, filters', async () => {
        await write([
          textDoc('mine', 'secret plan'),
          textDoc('other', 'secret plan', { tenant: 'tenant-b' }),
          textDoc('shared', 'secret plan', { tenant: '*' }),
          textDoc('hidden', 'secret plan', { channel_id: 'private' }),
          textDoc('public', 'secret plan', { channel_id: 'general', source: 'discord:general' }),
        ]);
        expect((await found('secret plan')).sort()).toEqual(['hidden', 'mine', 'public']);
        expect((await found('secret plan', { ...tenantA, includeShared: true })).sort()).toEqual([
          'hidden',
          'mine',
          'public',
          'shared',
        ]);
        expect((await found('secret plan', { ...tenantA, visibleChannels: ['general'] })).sort()).toEqual([
          'mine',
          'public',
        ]);
        expect(await found('secret plan', tenantA, { filter: { source: ['discord:general'] } })).toEqual([
          'public',
        ]);
        expect(await found('secret plan', { tenant: 'tenant-c' })).toEqual([]);
        await expect(
          store.findText({ words: 'secret', phrase: false, k: 5, scope: { tenant: '' } }),
        ).rejects.toThrow();
      });

      it('setText adds text beside the vector, only where the document still holds that content', async () => {
        const vector = randomUnit(dims, 21);
        await write([
          makeDoc({ image_id: 'shot', image_embedding: vector }),
          makeDoc({ image_id: 'moved', image_embedding: randomUnit(dims, 22) }),
        ]);
        const result = await store.setText([
          {
            image_id: 'shot',
            sha256: 'sha-shot',
            text: 'Build failed',
            text_confidence: 0.95,
            text_by: 'test-ocr',
          },
          {
            image_id: 'moved',
            sha256: 'sha-older',
            text: 'stale words',
            text_confidence: 0.9,
            text_by: 'test-ocr',
          },
          {
            image_id: 'gone',
            sha256: 'sha-gone',
            text: 'nothing',
            text_confidence: 0.9,
            text_by: 'test-ocr',
          },
        ]);
        expect(result).toEqual({ written: 1, failed: [] });
        await settle();
        expect(await found('build failed')).toEqual(['shot']);
        expect(await found('stale words')).toEqual([]);
        const [meta] = await store.get(['shot']);
        expect(meta).toMatchObject({ text: 'Build failed', text_confidence: 0.95, text_by: 'test-ocr' });
        const stored = (await store.getVectors(['shot'], tenantA)).get('shot');
        expect(Array.from(stored ?? []).map((v) => v.toFixed(5))).toEqual(
          Array.from(vector).map((v) => v.toFixed(5)),
        );
        // A new version of the document replaces it whole: its text goes until it is read again.
        await write([makeDoc({ image_id: 'shot', image_embedding: vector, sha256: 'sha-new' })]);
        expect(await found('build failed')).toEqual([]);
      });

      it('a committed reindex carries the text of the documents written into it, and deletes remove it', async () => {
        await write([textDoc('before', 'old words', { source: 's1' })]);
        const reindex = await store.beginReindex({ tenant: 'tenant-a', source: 's1' });
        await reindex.upsert([textDoc('after', 'new words', { source: 's1' })]);
        await store.commitReindex(reindex);
        await settle();
        expect(await found('new words')).toEqual(['after']);
        expect(await found('old words')).toEqual([]);
        await store.delete(['after']);
        await settle();
        expect(await found('new words')).toEqual([]);
      });
    });
    // Shaping is the search service's, but it runs over what each store returns, so every store runs it.
    describe('answers shaped by the search service', () => {
      const query = randomUnit(dims, 1);
      const embedder = { modelId: contractModel, dims } as unknown as Embedder;
      const best = atCosine(query, 0.9, 2);
      const shapedDocs = [
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
      beforeEach(async () => {
        await write(shapedDocs);
      });

      it('folds near-copies under the better hit and cuts hits far below the best, saying how many', async () => {
        const page = await new SearchService(embedder, store).page(query, tenantA, 0, 10, undefined, {
          sort: 'relevance',
          all: false,
        });
        expect(ids(page.hits)).toEqual(['best', 'good']);
        expect(ids(page.hits[0]!.nearCopies)).toEqual(['copy']);
        expect(page.cut).toBe(20);
        expect(page.hasMore).toBe(false);
      });

      it('shows everything with all, and by date newest first while still cutting the weak ones', async () => {
        const search = new SearchService(embedder, store);
        const all = await search.page(query, tenantA, 0, 30, undefined, { sort: 'relevance', all: true });
        expect(all.hits).toHaveLength(shapedDocs.length);
        expect(all.cut).toBe(0);
        const byDate = await search.page(query, tenantA, 0, 10, undefined, { sort: 'date', all: false });
        expect(ids(byDate.hits)).toEqual(['good', 'best']);
      });

      it('by example: the picture itself stays, and the cut is relative to the best other image', async () => {
        const picture = randomUnit(dims, 50);
        const scope = { tenant: 'tenant-b' };
        await write([
          makeDoc({ image_id: 'itself', image_embedding: picture, tenant: 'tenant-b' }),
          makeDoc({ image_id: 'alike', image_embedding: atCosine(picture, 0.4, 51), tenant: 'tenant-b' }),
          ...Array.from({ length: 10 }, (_, i) =>
            makeDoc({
              image_id: `far-${i}`,
              image_embedding: atCosine(picture, 0.05 + i * 0.005, 60 + i),
              tenant: 'tenant-b',
            }),
          ),
        ]);
        const page = await new SearchService(embedder, store).page(picture, scope, 0, 10, undefined, {
          sort: 'relevance',
          all: false,
        });
        expect(ids(page.hits)).toEqual(['itself', 'alike']);
        expect(page.cut).toBe(10);
      });

      it('filters inside the search, and says when the best match is weak for the model', async () => {
        const search = new SearchService(embedder, store, undefined, {
          nearCopyCosine: 0.97,
          lowConfidence: 0.95,
        });
        const page = await search.page(query, tenantA, 0, 10, undefined, {
          sort: 'relevance',
          all: true,
          filter: { date: { from: Date.UTC(2024, 0, 2) } },
        });
        expect(ids(page.hits)).toEqual(['copy', 'good']);
        expect(page.lowConfidence).toBe(true);
      });
    });
  });
}
