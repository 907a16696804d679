import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import { buildMappings, textFields, thumbnailFields } from '../../src/store/elasticsearch/mapping.js';
import type { ImageDocument, VectorStore } from '../../src/store/types.js';
import { ServiceError } from '../../src/util/errors.js';
import {
  adminClient,
  dropIndices,
  makeDoc,
  makeDocs,
  seededRandom,
  testConfig,
  unitVector,
} from './elasticsearch-support.js';
import { atCosine } from './helpers/vectors.js';

const dims = 64;
const spec = { dims, modelId: 'test-model' };
const scope = { tenant: 'guild-1' };

describe('Elasticsearch store: index layout, scores, rebuilds', () => {
  let client: Client;
  let config: Config;
  let store: VectorStore;
  const aliases: string[] = [];
  const refresh = () => client.indices.refresh({ index: config.LOOKALIKE_INDEX });

  beforeAll(async () => {
    client = adminClient();
    config = testConfig();
    aliases.push(config.LOOKALIKE_INDEX);
    store = await createElasticsearchStore(config);
    await store.ensureIndex(spec);
  });

  afterAll(async () => {
    await store?.close();
    for (const alias of aliases) await dropIndices(client, alias);
    await client?.close();
  });

  it('creates a timestamped index behind the alias, with the vector mapping and the model in _meta', async () => {
    const alias = config.LOOKALIKE_INDEX;
    const behind = Object.keys(await client.indices.getAlias({ name: alias }));
    expect(behind).toHaveLength(1);
    expect(behind[0]).toMatch(new RegExp(`^${alias}-\\d{8}-\\d{6}-\\d{3}$`));
    const mapping = (await client.indices.getMapping({ index: alias }))[behind[0] as string]?.mappings;
    expect(mapping?._meta).toMatchObject({ lookalike: { dims, model_id: 'test-model' } });
    expect(mapping?.properties?.image_embedding).toMatchObject({
      type: 'dense_vector',
      dims,
      index: true,
      similarity: 'cosine',
      index_options: { type: 'int8_hnsw', m: 16, ef_construction: 100 },
    });
    expect(mapping?.properties?.tenant).toMatchObject({ type: 'keyword' });
    expect(mapping?.properties?.image_name).toMatchObject({
      type: 'text',
      fields: { keyword: { type: 'keyword' } },
    });
  });

  it('adds the text and thumbnail fields to an index made before them, in place', async () => {
    const old = testConfig();
    aliases.push(old.LOOKALIKE_INDEX);
    const mappings = buildMappings(spec, { type: 'int8_hnsw', m: 16, efConstruction: 100 });
    for (const field of Object.keys({ ...textFields, ...thumbnailFields }))
      delete mappings.properties?.[field];
    await client.indices.create({
      index: `${old.LOOKALIKE_INDEX}-20260101-000000-000`,
      mappings,
      aliases: { [old.LOOKALIKE_INDEX]: { is_write_index: true } },
    });
    const legacy = await createElasticsearchStore(old);
    try {
      await legacy.ensureIndex(spec);
      const doc = makeDoc(1, unitVector(dims, seededRandom(3)));
      await legacy.upsert([doc]);
      await client.indices.refresh({ index: old.LOOKALIKE_INDEX });
      const result = await legacy.setText([
        {
          image_id: doc.image_id,
          sha256: doc.sha256,
          text: '502 Bad Gateway',
          text_confidence: 0.9,
          text_by: 'ocr',
        },
      ]);
      expect(result).toEqual({ written: 1, failed: [] });
      await client.indices.refresh({ index: old.LOOKALIKE_INDEX });
      const hits = await legacy.findText({
        words: 'bad gateway',
        phrase: false,
        k: 5,
        scope: { tenant: doc.tenant },
      });
      expect(hits.map((h) => h.image_id)).toEqual([doc.image_id]);
      expect(await legacy.lackingThumbnails([doc.image_id])).toEqual([doc.image_id]);
      const thumbnail = { image_id: doc.image_id, sha256: doc.sha256, bytes: Buffer.from('webp') };
      expect(await legacy.setThumbnails([thumbnail])).toEqual({ written: 1, failed: [] });
      await client.indices.refresh({ index: old.LOOKALIKE_INDEX });
      const shown = await legacy.getThumbnails([doc.image_id], { tenant: doc.tenant });
      expect(shown.get(doc.image_id)?.toString()).toBe('webp');
    } finally {
      await legacy.close();
    }
  });

  it('accepts the same spec again and refuses other dims or another model, also from a fresh process', async () => {
    await store.ensureIndex(spec);
    await expect(store.ensureIndex({ dims: 32, modelId: 'test-model' })).rejects.toThrow(/64 dims.*32 dims/);
    const fresh = await createElasticsearchStore(config);
    try {
      const refused = fresh.ensureIndex({ dims, modelId: 'other-model' });
      await expect(refused).rejects.toBeInstanceOf(ServiceError);
      await expect(fresh.ensureIndex({ dims, modelId: 'other-model' })).rejects.toThrow(
        /"test-model".*"other-model"/,
      );
    } finally {
      await fresh.close();
    }
  });

  it('returns exact cosine scores, applies the similarity threshold in cosine terms, never returns vectors', async () => {
    const random = seededRandom(7);
    const q = unitVector(dims, random);
    const cosines = [0.9, 0.7, 0.5, 0.3, 0.1, -0.5];
    const docs = cosines.map((c, i) => makeDoc(i, atCosine(q, c, 70 + i), { source: 'folder:/cosines' }));
    expect((await store.upsert(docs)).written).toBe(docs.length);
    await refresh();
    const filter = { source: ['folder:/cosines'] };

    const hits = await store.knn({ vector: q, k: 6, scope, filter });
    expect(hits.map((h) => h.image_id)).toEqual(docs.map((d) => d.image_id));
    hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(cosines[i] as number, 3));
    for (const hit of hits) expect(hit).not.toHaveProperty('image_embedding');
    expect(hits[0]).toMatchObject({ image_name: 'photo 0.jpg', tenant: 'guild-1', width: 640 });

    const above = await store.knn({ vector: q, k: 6, scope, filter, similarity: 0.6 });
    expect(above.map((h) => h.image_id)).toEqual(['img-0', 'img-1']);
    const aboveNegative = await store.knn({ vector: q, k: 6, scope, filter, similarity: -0.2 });
    expect(aboveNegative).toHaveLength(5);
  });

  it('hands back stored vectors only for documents visible in the scope', async () => {
    const random = seededRandom(11);
    const mine = makeDoc(100, unitVector(dims, random), { source: 'folder:/vectors' });
    const theirs = makeDoc(101, unitVector(dims, random), { source: 'folder:/vectors', tenant: 'guild-2' });
    await store.upsert([mine, theirs]);
    await refresh();
    const vectors = await store.getVectors([mine.image_id, theirs.image_id], scope);
    expect([...vectors.keys()]).toEqual([mine.image_id]);
    expect(Array.from(vectors.get(mine.image_id) ?? [])).toEqual(Array.from(mine.image_embedding));
  });

  it("scan and getVectors see this store's own writes and deletes at once, whatever the refresh interval", async () => {
    const concrete = String((await store.stats()).details.concreteIndex);
    // No periodic refresh at all (as some set for bulk loads): only an explicit one makes writes searchable.
    await client.indices.putSettings({ index: concrete, settings: { refresh_interval: '-1' } });
    try {
      const docs = makeDocs(3, dims, 41, { source: 'folder:/fresh' }).map((d) => ({
        ...d,
        image_id: `fresh-${d.image_id}`,
      }));
      expect((await store.upsert(docs)).failed).toEqual([]);
      const scanned = async () => {
        const ids: string[] = [];
        for await (const meta of store.scan('guild-1', 'folder:/fresh')) ids.push(meta.image_id);
        return ids.sort();
      };
      expect(await scanned()).toEqual(docs.map((d) => d.image_id).sort());
      await store.delete([docs[0]!.image_id]);
      const vectors = await store.getVectors(
        docs.map((d) => d.image_id),
        scope,
      );
      expect([...vectors.keys()].sort()).toEqual([docs[1]!.image_id, docs[2]!.image_id]);
      expect(await scanned()).toEqual([docs[1]!.image_id, docs[2]!.image_id]);
    } finally {
      await client.indices.putSettings({ index: concrete, settings: { refresh_interval: '1s' } });
    }
  });

  it('reports the server version, concrete index, size and count', async () => {
    const stats = await store.stats();
    expect(stats).toMatchObject({
      backend: 'elasticsearch',
      index: config.LOOKALIKE_INDEX,
      dims,
      modelId: 'test-model',
    });
    expect(stats.count).toBeGreaterThan(0);
    expect(stats.details).toMatchObject({ indexType: 'int8_hnsw' });
    expect(String(stats.details.serverVersion)).toMatch(/^(8|9)\.\d+/);
    expect(stats.details.sizeBytes).toBeGreaterThan(0);
    expect(String(stats.details.concreteIndex)).toContain(`${config.LOOKALIKE_INDEX}-`);
  });

  it('rebuilds a slice into a new index and swaps the alias while searches keep answering', async () => {
    const keep = makeDocs(30, dims, 21, { source: 'folder:/keep' });
    const rebuild = makeDocs(20, dims, 22, { source: 'folder:/rebuild' }).map((d) => ({
      ...d,
      image_id: `re-${d.image_id}`,
    }));
    await store.upsert([...keep, ...rebuild]);
    await refresh();
    const before = Object.keys(await client.indices.getAlias({ name: config.LOOKALIKE_INDEX }))[0] as string;
    const total = await store.count(scope);
    const everyTenant = (await client.count({ index: config.LOOKALIKE_INDEX })).count;

    const reindex = await store.beginReindex({ tenant: 'guild-1', source: 'folder:/rebuild' });
    await client.indices.refresh({ index: reindex.id });
    expect((await client.count({ index: reindex.id })).count).toBe(everyTenant - rebuild.length);
    const refill: ImageDocument[] = rebuild.slice(0, 5);
    expect(await reindex.upsert(refill)).toEqual({ written: 5, failed: [] });

    const errors: unknown[] = [];
    let searches = 0;
    let running = true;
    const searching = (async () => {
      while (running) {
        await store.knn({ vector: keep[0]!.image_embedding, k: 5, scope }).then(
          () => searches++,
          (err) => errors.push(err),
        );
      }
    })();
    await store.commitReindex(reindex);
    running = false;
    await searching;

    expect(errors).toEqual([]);
    expect(searches).toBeGreaterThan(0);
    expect(Object.keys(await client.indices.getAlias({ name: config.LOOKALIKE_INDEX }))).toEqual([
      reindex.id,
    ]);
    expect(await client.indices.exists({ index: before })).toBe(false);
    expect(await store.count(scope, { source: ['folder:/rebuild'] })).toBe(5);
    expect(await store.count(scope)).toBe(total - rebuild.length + 5);
    // The copied documents kept their vectors: the nearest neighbour of a kept image is itself.
    const [self] = await store.knn({ vector: keep[7]!.image_embedding, k: 1, scope });
    expect(self).toMatchObject({ image_id: keep[7]!.image_id });
    expect(self?.score).toBeCloseTo(1, 3);
  });

  it('drops an aborted rebuild and leaves the alias where it was', async () => {
    const before = Object.keys(await client.indices.getAlias({ name: config.LOOKALIKE_INDEX }));
    const reindex = await store.beginReindex({ tenant: 'guild-1', source: 'folder:/keep' });
    expect(await client.indices.exists({ index: reindex.id })).toBe(true);
    await store.abortReindex(reindex);
    expect(await client.indices.exists({ index: reindex.id })).toBe(false);
    expect(Object.keys(await client.indices.getAlias({ name: config.LOOKALIKE_INDEX }))).toEqual(before);
  });

  it('builds bbq_hnsw indexes for models of 64+ dims and refuses them for smaller ones', async () => {
    const bbqConfig = testConfig({ ELASTICSEARCH_INDEX_TYPE: 'bbq_hnsw' });
    aliases.push(bbqConfig.LOOKALIKE_INDEX);
    const bbq = await createElasticsearchStore(bbqConfig);
    try {
      await expect(bbq.ensureIndex({ dims: 32, modelId: 'small' })).rejects.toThrow(
        /bbq_hnsw needs at least 64/,
      );
      await bbq.ensureIndex({ dims: 128, modelId: 'test-model' });
      const docs = makeDocs(40, 128, 31);
      await bbq.upsert(docs);
      await client.indices.refresh({ index: bbqConfig.LOOKALIKE_INDEX });
      expect((await bbq.stats()).details.indexType).toBe('bbq_hnsw');
      const q = docs[3]!.image_embedding;
      const [best] = await bbq.knn({ vector: q, k: 3, scope });
      expect(best?.image_id).toBe('img-3');
      expect(best?.score).toBeCloseTo(1, 3);
    } finally {
      await bbq.close();
    }
  });
});
