// Full rebuilds on a real server: the client-side copy of every other slice, its failures, the force merge
// before the swap, and what a crashed rebuild leaves behind. The store talks through a recording proxy, so
// the tests see which server APIs it used (never `_reindex`) and that every point in time was closed.
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import { buildMappings } from '../../src/store/elasticsearch/mapping.js';
import type { ImageDocument, TenantScope, VectorStore } from '../../src/store/types.js';
import { ServiceError } from '../../src/util/errors.js';
import {
  adminClient,
  dropIndices,
  makeDocs,
  startProxy,
  testConfig,
  type Proxy,
} from './elasticsearch-support.js';
import { metaOf } from './helpers/docs.js';

const dims = 16;
const spec = { dims, modelId: 'test-model' };
const slice = { tenant: 'guild-1', source: 'folder:/rebuild' };

/** `count` documents with ids `<prefix>-<i>`, every optional field set, in one (tenant, source). */
function group(prefix: string, count: number, seed: number, fields: Partial<ImageDocument>): ImageDocument[] {
  return makeDocs(count, dims, seed, fields).map((doc, i) => ({
    ...doc,
    image_id: `${prefix}-${i}`,
    other_paths: [`copies/${prefix}-${i}.jpg`],
    channel_id: `c${i % 3}`,
    url: `https://example.com/${prefix}/${i}.jpg`,
    permalink: `https://chat.example.com/m/${prefix}-${i}`,
    author_id: `u${i % 5}`,
    posted_at: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
  }));
}

const byId = <T extends { image_id: string }>(items: T[]) =>
  [...items].sort((a, b) => a.image_id.localeCompare(b.image_id));

describe('Elasticsearch store: full rebuilds', () => {
  let admin: Client;
  let proxy: Proxy;
  const requests: string[] = [];
  const aliases: string[] = [];
  const stores: VectorStore[] = [];

  /** A store closed after the tests. */
  const openStore = async (config: Config) => {
    const store = await createElasticsearchStore(config);
    stores.push(store);
    return store;
  };
  /** A fresh alias, reached through the recording proxy. */
  const newConfig = () => {
    const config = testConfig({ ELASTICSEARCH_URL: proxy.url });
    aliases.push(config.LOOKALIKE_INDEX);
    return config;
  };
  const aliasTarget = async (alias: string) => Object.keys(await admin.indices.getAlias({ name: alias }));
  const pitsOpened = () => requests.filter((r) => /^POST \/[^/]+\/_pit\b/.test(r)).length;
  const pitsClosed = () => requests.filter((r) => r.startsWith('DELETE /_pit')).length;

  beforeAll(async () => {
    admin = adminClient();
    proxy = await startProxy((req) => void requests.push(`${req.method} ${req.url}`));
  });

  afterAll(async () => {
    for (const store of stores) await store.close().catch(() => undefined);
    for (const alias of aliases) await dropIndices(admin, alias);
    await proxy?.close();
    await admin?.close();
  });

  it('copies every other slice with identical vectors and fields, merges, and swaps while searches answer', async () => {
    const config = newConfig();
    const alias = config.LOOKALIKE_INDEX;
    const store = await openStore(config);
    await store.ensureIndex(spec);
    // More than two pages of the copy: the same tenant's other source, the slice's source in another
    // tenant, and shared documents. The slice itself is refilled with other documents.
    const keep = [
      ...group('keep', 1_100, 1, { tenant: 'guild-1', source: 'folder:/keep' }),
      ...group('other', 900, 2, { tenant: 'guild-2', source: slice.source }),
      ...group('shared', 400, 3, { tenant: '*', source: 'folder:/shared' }),
    ];
    const old = group('old', 60, 4, slice);
    const refill = group('new', 25, 5, slice);
    for (let i = 0; i < keep.length; i += 1_000) {
      expect((await store.upsert(keep.slice(i, i + 1_000))).failed).toEqual([]);
    }
    expect((await store.upsert(old)).failed).toEqual([]);
    await admin.indices.refresh({ index: alias });
    const [before] = await aliasTarget(alias);

    const errors: unknown[] = [];
    let searches = 0;
    let running = true;
    const searching = (async () => {
      while (running) {
        await store.knn({ vector: keep[5]!.image_embedding, k: 5, scope: { tenant: 'guild-1' } }).then(
          () => searches++,
          (err: unknown) => errors.push(err),
        );
      }
    })();
    requests.length = 0;
    const reindex = await store.beginReindex(slice);
    expect(pitsOpened()).toBe(1);
    expect(pitsClosed()).toBe(1);
    expect(requests.some((r) => r.includes('_reindex'))).toBe(false);
    expect((await reindex.upsert(refill)).failed).toEqual([]);
    await store.commitReindex(reindex);
    running = false;
    await searching;

    expect(errors).toEqual([]);
    expect(searches).toBeGreaterThan(0);
    expect(await aliasTarget(alias)).toEqual([reindex.id]);
    expect(await admin.indices.exists({ index: before! })).toBe(false);
    // Merged before the swap: one segment, so a query walks one HNSW graph.
    const segments = await admin.cat.segments({ index: reindex.id, format: 'json' });
    expect(segments).toHaveLength(1);

    expect(await store.get(keep.map((d) => d.image_id))).toEqual(keep.map(metaOf));
    for (const tenant of ['guild-1', 'guild-2', '*']) {
      const mine = keep.filter((d) => d.tenant === tenant);
      const vectors = await store.getVectors(
        mine.map((d) => d.image_id),
        { tenant },
      );
      expect(vectors.size).toBe(mine.length);
      for (const doc of mine) {
        expect(Array.from(vectors.get(doc.image_id)!)).toEqual(Array.from(doc.image_embedding));
      }
    }
    const scope: TenantScope = { tenant: slice.tenant };
    const sliceNow = [];
    for await (const meta of store.scan(slice.tenant, slice.source)) sliceNow.push(meta);
    expect(byId(sliceNow)).toEqual(byId(refill.map(metaOf)));
    expect(await store.count(scope, { source: ['folder:/keep'] })).toBe(1_100);
    expect((await store.stats()).count).toBe(keep.length + refill.length);
    expect((await store.stats()).details.leftoverIndices).toEqual([]);
  });

  it('refuses a copy with failures, naming each document, and leaves no rebuild and no open point in time', async () => {
    const config = newConfig();
    const alias = config.LOOKALIKE_INDEX;
    // An index that took what a fresh rebuild index refuses: ignore_malformed kept a bad date out of the
    // index but in the document, so copying it fails on the server; a document without a name fails our
    // own checks. Both must be named, and nothing of the rebuild may stay.
    const live = `${alias}-20260101-000000-000`;
    await admin.indices.create({
      index: live,
      mappings: buildMappings(spec, { type: 'int8_hnsw', m: 16, efConstruction: 100 }),
      settings: { number_of_shards: 1, number_of_replicas: 0, 'index.mapping.ignore_malformed': true },
      aliases: { [alias]: { is_write_index: true } },
    });
    const store = await openStore(config);
    await store.ensureIndex(spec);
    expect((await store.upsert(group('good', 300, 6, { tenant: 'guild-2' }))).failed).toEqual([]);
    const [badDate, noName] = group('bad', 2, 7, { tenant: 'guild-2' });
    const asStored = (doc: ImageDocument, fields: Record<string, unknown>): Record<string, unknown> => ({
      ...doc,
      image_embedding: Array.from(doc.image_embedding),
      ...fields,
    });
    const dated = asStored(badDate!, { image_id: 'bad-date', posted_at: 'yesterday afternoon' });
    await admin.index({ index: alias, id: 'bad-date', document: dated });
    const nameless = asStored(noName!, { image_id: 'no-name' });
    delete nameless.image_name;
    await admin.index({ index: alias, id: 'no-name', document: nameless });
    await admin.indices.refresh({ index: alias });

    requests.length = 0;
    const failing = store.beginReindex(slice);
    await expect(failing).rejects.toBeInstanceOf(ServiceError);
    const message = await failing.catch((err: Error) => err.message);
    expect(message).toMatch(/2 documents failed/);
    expect(message).toMatch(/bad-date \([^)]*posted_at/);
    expect(message).toMatch(/no-name \(image_name is missing/);
    expect(pitsOpened()).toBe(1);
    expect(pitsClosed()).toBe(1);
    expect(await aliasTarget(alias)).toEqual([live]);
    const indices = await admin.indices.get({ index: `${alias}-*` });
    expect(Object.keys(indices)).toEqual([live]);
    expect(await store.count({ tenant: 'guild-2' })).toBe(302);
  });

  it('follows the merge through the index stats when the API key may not read tasks', async () => {
    const seen: string[] = [];
    const refusing = await startProxy((req) => {
      seen.push(`${req.method} ${req.url}`);
      if (!req.url?.startsWith('/_tasks')) return undefined;
      const reason = 'action [cluster:monitor/task/get] is unauthorized for API key id [test]';
      return { status: 403, body: { error: { type: 'security_exception', reason }, status: 403 } };
    });
    try {
      const config = testConfig({ ELASTICSEARCH_URL: refusing.url });
      aliases.push(config.LOOKALIKE_INDEX);
      const store = await openStore(config);
      await store.ensureIndex(spec);
      // Several segments to merge: one refresh after each write.
      for (let i = 0; i < 4; i++) {
        await store.upsert(group(`part${i}`, 50, 20 + i, { source: `folder:/part${i}` }));
        await admin.indices.refresh({ index: config.LOOKALIKE_INDEX });
      }
      const reindex = await store.beginReindex({ tenant: 'guild-1', source: 'folder:/part0' });
      await reindex.upsert(group('part0', 50, 20, { source: 'folder:/part0' }));
      await store.commitReindex(reindex);
      expect(seen.some((r) => r.startsWith('GET /_tasks/'))).toBe(true);
      expect(seen.some((r) => /^GET \/[^/]+\/_stats\/merge/.test(r))).toBe(true);
      expect(await admin.cat.segments({ index: reindex.id, format: 'json' })).toHaveLength(1);
      expect(await store.count({ tenant: 'guild-1' })).toBe(200);
    } finally {
      await refusing.close();
    }
  });

  it('lists a crashed rebuild, keeps it while young, and removes it once old or when its slice is rebuilt', async () => {
    const config = newConfig();
    const alias = config.LOOKALIKE_INDEX;
    const other = { tenant: 'guild-1', source: 'folder:/other' };
    const store = await openStore(config);
    await store.ensureIndex(spec);
    await store.upsert([...group('s', 20, 8, slice), ...group('o', 20, 9, other)]);
    await admin.indices.refresh({ index: alias });
    const [live] = await aliasTarget(alias);

    // A process that began a rebuild and died: never committed, never aborted.
    const crashedStore = await createElasticsearchStore(config);
    const crashed = await crashedStore.beginReindex(slice);
    await crashed.upsert(group('half', 5, 10, slice));
    await crashedStore.close();
    await admin.indices.refresh({ index: crashed.id });

    const leftovers = (await store.stats()).details.leftoverIndices as Record<string, unknown>[];
    expect(leftovers).toEqual([
      expect.objectContaining({
        index: crashed.id,
        state: 'unfinished rebuild',
        tenant: slice.tenant,
        source: slice.source,
        docs: 25,
        sizeBytes: expect.any(Number),
      }),
    ]);
    expect(Date.now() - Date.parse(String(leftovers[0]!.since))).toBeLessThan(60_000);

    // Young and of another slice: it may still be running somewhere, so another rebuild leaves it alone.
    const otherRebuild = await store.beginReindex(other);
    await store.abortReindex(otherRebuild);
    expect(await admin.indices.exists({ index: crashed.id })).toBe(true);

    // Two days later (its recorded start moved back), the next rebuild of any slice removes it.
    const mapping = (await admin.indices.getMapping({ index: crashed.id }))[crashed.id]!.mappings;
    const lookalike = mapping._meta!.lookalike as { rebuild: Record<string, unknown> };
    const twoDaysAgo = new Date(Date.now() - 49 * 3_600_000).toISOString();
    await admin.indices.putMapping({
      index: crashed.id,
      _meta: { lookalike: { ...lookalike, rebuild: { ...lookalike.rebuild, began_at: twoDaysAgo } } },
    });
    const next = await store.beginReindex(other);
    expect(await admin.indices.exists({ index: crashed.id })).toBe(false);
    await store.abortReindex(next);

    // A rebuild of the same slice replaces an unfinished one at once; the replaced one can neither write
    // (no index springs up again) nor commit.
    const firstStore = await openStore(config);
    const first = await firstStore.beginReindex(slice);
    const second = await store.beginReindex(slice);
    expect(await admin.indices.exists({ index: first.id })).toBe(false);
    const late = await first.upsert(group('late', 3, 11, slice));
    expect(late.written).toBe(0);
    expect(late.failed.map((f) => f.image_id)).toEqual(['late-0', 'late-1', 'late-2']);
    expect(await admin.indices.exists({ index: first.id })).toBe(false);
    await expect(firstStore.commitReindex(first)).rejects.toThrow(ServiceError);
    expect(await aliasTarget(alias)).toEqual([live]);

    await second.upsert(group('s', 20, 8, slice));
    await store.commitReindex(second);
    expect(await aliasTarget(alias)).toEqual([second.id]);
    expect((await store.stats()).details.leftoverIndices).toEqual([]);
  });
});
