import type { estypes, TransportRequestOptions } from '@elastic/elasticsearch';
import type { Config } from '../../config/schema.js';
import { InputError, ServiceError } from '../../util/errors.js';
import { thumbnailProblem } from '../validate.js';
import type { ImageMeta, IndexSpec, ModelSwitch, Reindex, SliceCount, VectorStore } from '../types.js';
import { defaultBulkSettings, deleteDocuments, writeDocuments, type BulkSettings } from './bulk.js';
import { connect } from './connect.js';
import { copyAllBut } from './copy.js';
import { metaFromSource, textSource, vectorFromSource } from './documents.js';
import { toServiceError } from './errors.js';
import { hedged, interactiveBudgetMs } from './hedge.js';
import { concreteIndexName, createIndex, deleteIndex, readAlias, type AliasTarget } from './indices.js';
import {
  buildMappings,
  checkIndexOptions,
  checkSameSpec,
  hiddenFields,
  indexSettings,
  filterFields,
  textFields,
  thumbnailFields,
  vectorField,
  type IndexType,
} from './mapping.js';
import { cosineFromScore, knnSearch, scopeQuery, textSearch } from './query.js';
import { lookupWords, rankTextMatches } from '../text-match.js';
import {
  claimAndDelete,
  listLeftovers,
  rebuildAlias,
  rebuildMapping,
  removeAbandoned,
  switchMapping,
  type LeftoverIndex,
} from './rebuilds.js';
import { dropReplaced, mergeRebuild, pointAlias, swapAlias } from './reindex.js';
import { retryTransient } from './retry.js';

export interface ElasticsearchStoreOptions {
  /** Bulk write tuning (concurrency, attempts, backoff); defaults suit a small cluster. */
  bulk?: Partial<typeof defaultBulkSettings>;
}

/**
 * Quantised graphs re-rank k x this many candidates with the full float vectors (servers 8.18+), so scores
 * are exact cosine. int8 gains nothing past 2; 1-bit bbq needs about 8 (bench/elasticsearch-store.md).
 */
const rescoreOversample: Record<IndexType, number | undefined> = {
  hnsw: undefined,
  int8_hnsw: 2,
  bbq_hnsw: 8,
};

/**
 * A chat user waits on reads: reading the alias (once) gets the 2 s budget and one quick retry, as each
 * try of a hedged search does (./hedge.ts). Writes keep the client's retries.
 */
const interactive: TransportRequestOptions = {
  requestTimeout: interactiveBudgetMs,
  maxRetries: 1,
  retryBackoff: () => 0.1,
};

/**
 * An unfinished rebuild of another slice is deleted once it began this long ago: no live rebuild takes two
 * days (a new rebuild of the same slice replaces an unfinished one at once).
 */
const abandonedRebuildAfterMs = 48 * 60 * 60 * 1000;

const scanPage = 1_000;
/** The server's default cap on hits per search (index.max_result_window). */
const maxResults = 10_000;
const pitKeepAlive = '2m';
/** Slices listed per page of the composite aggregation. */
const slicePage = 1_000;

function checkSpec(spec: IndexSpec): void {
  if (!Number.isInteger(spec.dims) || spec.dims < 1 || spec.dims > 4096) {
    throw new InputError('dims', `must be a whole number from 1 to 4096, got ${spec.dims}`);
  }
  if (!spec.modelId) throw new InputError('modelId', 'is empty');
}

const sameSpec = (a: IndexSpec, b: IndexSpec) => a.dims === b.dims && a.modelId === b.modelId;

/**
 * The Elasticsearch VectorStore: one document per image in a concrete index `<alias>-<timestamp>`,
 * reached through the alias LOOKALIKE_INDEX so a rebuild can be swapped in atomically.
 */
export async function createElasticsearchStore(
  config: Config,
  options: ElasticsearchStoreOptions = {},
): Promise<VectorStore> {
  const { client, target, features } = await connect(config);
  const alias = config.LOOKALIKE_INDEX;
  const bulk: BulkSettings = {
    ...defaultBulkSettings,
    ...options.bulk,
    target,
    encoding: features.base64Vectors ? 'base64' : 'array',
  };
  const indexOptions = {
    type: config.ELASTICSEARCH_INDEX_TYPE,
    m: config.ELASTICSEARCH_HNSW_M,
    efConstruction: config.ELASTICSEARCH_HNSW_EF_CONSTRUCTION,
  };
  const settings = indexSettings(config.ELASTICSEARCH_REPLICAS);
  const pendingReindexes = new Map<string, { from: string; to: string }>();
  // What the alias holds never changes in place (a rebuild copies the mapping), so it is read once.
  let known: AliasTarget | undefined;
  // Set when this store wrote through the alias since its last refresh (see seeOwnWrites).
  let unrefreshed = false;

  const current = async (options?: TransportRequestOptions): Promise<AliasTarget> => {
    known ??= await readAlias(client, alias, target, options);
    if (!known) {
      throw new ServiceError('elasticsearch', `index "${alias}" does not exist yet: index some images first`);
    }
    return known;
  };

  const call = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw toServiceError(err, action, target);
    }
  };

  /** Runs a write through the alias and notes that a refresh is due, whether it succeeded or not. */
  const writing = async <T>(write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } finally {
      unrefreshed = true;
    }
  };

  /**
   * Searches see what the last refresh made visible (about 1 s behind, or much more with a longer
   * refresh_interval). Reads that must see this store's own earlier writes refresh first, when it wrote.
   */
  const seeOwnWrites = async () => {
    if (!unrefreshed) return;
    unrefreshed = false;
    try {
      await client.indices.refresh({ index: alias });
    } catch (err) {
      unrefreshed = true;
      throw toServiceError(err, `refresh "${alias}"`, target);
    }
  };

  /** Leftovers with their size, for stats. */
  const describeLeftovers = async (leftovers: LeftoverIndex[]) => {
    if (leftovers.length === 0) return [];
    const sizes = await call('read the size of leftover indices', () =>
      client.indices.stats({ index: leftovers.map((l) => l.index), metric: ['docs', 'store'] }),
    );
    return leftovers.map(({ index, state, tenant, source, sinceMs }) => ({
      index,
      state,
      ...(tenant !== undefined && { tenant, source }),
      ...(Number.isFinite(sinceMs) && { since: new Date(sinceMs).toISOString() }),
      docs: sizes.indices?.[index]?.primaries?.docs?.count ?? 0,
      sizeBytes: sizes.indices?.[index]?.total?.store?.size_in_bytes ?? 0,
    }));
  };

  return {
    backend: 'elasticsearch',

    async ensureIndex(spec: IndexSpec) {
      checkSpec(spec);
      const existing = await readAlias(client, alias, target);
      if (!existing) {
        checkIndexOptions(spec, indexOptions, features);
        try {
          await createIndex(
            client,
            concreteIndexName(alias),
            buildMappings(spec, indexOptions),
            target,
            { [alias]: { is_write_index: true } },
            settings,
          );
        } catch (err) {
          // Another process may have created the alias first; its index is fine if it holds the same model.
          if (!(await readAlias(client, alias, target))) throw err;
        }
      }
      known = await readAlias(client, alias, target);
      if (!known)
        throw new ServiceError('elasticsearch', `index "${alias}" vanished while it was being created`);
      checkSameSpec(alias, known.spec, spec);
      // An index made before text search, thumbnails or filters: new fields are added in place; runs fill them.
      for (const [name, fields] of [
        ['text', textFields],
        ['thumbnail', thumbnailFields],
        ['date_kind', filterFields],
      ] as const) {
        if (known.mapping.properties?.[name]) continue;
        const index = known.index;
        await call(`add the ${name} fields to "${index}"`, () =>
          client.indices.putMapping({ index, properties: fields }),
        );
        known = await readAlias(client, alias, target);
        if (!known)
          throw new ServiceError('elasticsearch', `index "${alias}" vanished while it was being updated`);
      }
    },

    async upsert(docs) {
      if (docs.length === 0) return { written: 0, failed: [] };
      const { spec } = await current();
      return writing(() => writeDocuments(client, alias, docs, spec, bulk));
    },

    async delete(ids) {
      if (ids.length === 0) return;
      await current();
      await writing(() => deleteDocuments(client, alias, ids, bulk));
    },

    async knn(query) {
      const { spec, indexType } = await current(interactive);
      const request = knnSearch(query, {
        dims: spec.dims,
        defaultNumCandidates: config.ELASTICSEARCH_NUM_CANDIDATES,
        oversample: features.rescoreVector ? rescoreOversample[indexType] : undefined,
      });
      const response = await call(`search "${alias}"`, () =>
        hedged((options) => client.search<ImageMeta>({ index: alias, ...request }, options)),
      );
      return response.hits.hits.map((hit) => ({
        ...metaFromSource(hit._source),
        score: cosineFromScore(hit._score ?? 0),
      }));
    },

    async findText(query) {
      const words = lookupWords(query.words);
      if (words.length === 0) return [];
      await current(interactive);
      const response = await call(`search text in "${alias}"`, () =>
        hedged((options) => client.search<ImageMeta>({ index: alias, ...textSearch(query, words) }, options)),
      );
      const candidates = response.hits.hits.map((hit) => metaFromSource(hit._source));
      return rankTextMatches(query, candidates, query.k);
    },

    async setText(updates) {
      if (updates.length === 0) return { written: 0, failed: [] };
      await current();
      await seeOwnWrites();
      // Written only where the document still holds the content the text was read from; the sequence
      // number makes the check and the write one step (a concurrent rewrite makes the update fail, not lose).
      const found = await call(`read documents from "${alias}"`, () =>
        client.mget<ImageMeta>({
          index: alias,
          ids: updates.map((u) => u.image_id),
          _source_includes: ['sha256'],
        }),
      );
      const holding = new Map(
        found.docs.flatMap((doc) =>
          'found' in doc && doc.found && doc._source
            ? [[doc._id, { doc, sha: doc._source.sha256 }] as const]
            : [],
        ),
      );
      const operations = updates.flatMap((update) => {
        const held = holding.get(update.image_id);
        if (!held || held.sha !== update.sha256 || !('_seq_no' in held.doc)) return [];
        return [
          {
            update: {
              _index: held.doc._index,
              _id: update.image_id,
              if_seq_no: held.doc._seq_no,
              if_primary_term: held.doc._primary_term,
            },
          },
          { doc: textSource(update.text, update.text_confidence, update.text_by) },
        ];
      });
      if (operations.length === 0) return { written: 0, failed: [] };
      const response = await writing(() =>
        call(`write text to "${alias}"`, () => client.bulk({ operations })),
      );
      const failed = response.items.flatMap((item) => {
        const result = item.update;
        // 409: rewritten meanwhile with other content; the next run reads it again.
        if (!result?.error || result.status === 409) return [];
        return [{ image_id: result._id ?? '', reason: result.error.reason ?? result.error.type }];
      });
      const written = response.items.filter((item) => item.update?.status === 200).length;
      return { written, failed };
    },

    async setThumbnails(updates) {
      const failed = updates.flatMap((u) => {
        const reason = thumbnailProblem(u);
        return reason ? [{ image_id: u.image_id, reason }] : [];
      });
      const good = updates.filter((u) => !failed.some((f) => f.image_id === u.image_id));
      if (good.length === 0) return { written: 0, failed };
      await current();
      // As setText: written only where the document still holds that content, checked and written in one step.
      const found = await call(`read documents from "${alias}"`, () =>
        client.mget<ImageMeta>({
          index: alias,
          ids: good.map((u) => u.image_id),
          _source_includes: ['sha256'],
        }),
      );
      const holding = new Map(
        found.docs.flatMap((doc) =>
          'found' in doc && doc.found && doc._source ? [[doc._id, doc] as const] : [],
        ),
      );
      const operations = good.flatMap((update) => {
        const held = holding.get(update.image_id);
        if (!held || held._source?.sha256 !== update.sha256 || !('_seq_no' in held)) return [];
        return [
          {
            update: {
              _index: held._index,
              _id: update.image_id,
              if_seq_no: held._seq_no,
              if_primary_term: held._primary_term,
            },
          },
          { doc: { thumbnail: update.bytes.toString('base64'), thumbnail_sha256: update.sha256 } },
        ];
      });
      if (operations.length === 0) return { written: 0, failed };
      const response = await writing(() =>
        call(`write thumbnails to "${alias}"`, () => client.bulk({ operations })),
      );
      for (const item of response.items) {
        const result = item.update;
        // 409: rewritten meanwhile; the next run makes its thumbnail again.
        if (result?.error && result.status !== 409)
          failed.push({ image_id: result._id ?? '', reason: result.error.reason ?? result.error.type });
      }
      const written = response.items.filter((item) => item.update?.status === 200).length;
      return { written, failed };
    },

    async lackingThumbnails(ids) {
      const lacking: string[] = [];
      await current();
      for (let i = 0; i < ids.length; i += scanPage) {
        const found = await call(`read documents from "${alias}"`, () =>
          client.mget<{ sha256?: string; thumbnail_sha256?: string }>({
            index: alias,
            ids: ids.slice(i, i + scanPage),
            _source_includes: ['sha256', 'thumbnail_sha256'],
          }),
        );
        for (const doc of found.docs) {
          if (!('found' in doc) || !doc.found) continue;
          if (doc._source?.thumbnail_sha256 !== doc._source?.sha256) lacking.push(doc._id);
        }
      }
      return lacking;
    },

    async getThumbnails(ids, scope) {
      const visible = scopeQuery(scope);
      const thumbnails = new Map<string, Buffer>();
      if (ids.length === 0) return thumbnails;
      if (ids.length > maxResults)
        throw new InputError('ids', `at most ${maxResults} at a time, got ${ids.length}`);
      await current(interactive);
      const response = await call(`read thumbnails from "${alias}"`, () =>
        hedged((options) =>
          client.search<{ sha256?: string; thumbnail?: string; thumbnail_sha256?: string }>(
            {
              index: alias,
              query: { bool: { filter: [{ ids: { values: ids } }, visible] } },
              size: ids.length,
              _source: { includes: ['sha256', ...Object.keys(thumbnailFields)] },
            },
            options,
          ),
        ),
      );
      for (const hit of response.hits.hits) {
        const held = hit._source;
        if (!hit._id || !held?.thumbnail || held.thumbnail_sha256 !== held.sha256) continue;
        thumbnails.set(hit._id, Buffer.from(held.thumbnail, 'base64'));
      }
      return thumbnails;
    },

    async count(scope, filter) {
      const query = scopeQuery(scope, filter);
      await current();
      const response = await call(`count in "${alias}"`, () => client.count({ index: alias, query }));
      return response.count;
    },

    async stats() {
      const details: Record<string, unknown> = { serverVersion: features.version, server: target, alias };
      // Read afresh: another process may have swapped a rebuild in since.
      const behind = await readAlias(client, alias, target);
      if (!behind)
        return { backend: 'elasticsearch', index: alias, count: 0, details: { ...details, exists: false } };
      const { index, spec, indexType } = behind;
      const [counted, sizes, leftovers] = await call(`read the stats of "${alias}"`, () =>
        Promise.all([
          client.count({ index: alias }),
          client.indices.stats({ index: alias, metric: ['store'] }),
          listLeftovers(client, alias, target),
        ]),
      );
      return {
        backend: 'elasticsearch',
        index: alias,
        modelId: spec.modelId,
        dims: spec.dims,
        count: counted.count,
        details: {
          ...details,
          concreteIndex: index,
          indexType,
          sizeBytes: sizes._all.total?.store?.size_in_bytes ?? 0,
          // Indices of this alias nothing reads: crashed rebuilds (a later rebuild removes them), interrupted drops.
          leftoverIndices: await describeLeftovers(leftovers),
        },
      };
    },

    async *scan(tenant, source) {
      const query = scopeQuery({ tenant }, { source: [source] });
      await current();
      await seeOwnWrites();
      const pit = await call(`open a point in time on "${alias}"`, () =>
        retryTransient(() => client.openPointInTime({ index: alias, keep_alive: pitKeepAlive })),
      );
      let pitId = pit.id;
      try {
        let after: (string | number)[] | undefined;
        for (;;) {
          const page = await call(`scan "${alias}"`, () =>
            client.search<ImageMeta>({
              pit: { id: pitId, keep_alive: pitKeepAlive },
              query,
              size: scanPage,
              sort: ['_shard_doc'],
              track_total_hits: false,
              _source: { excludes: hiddenFields },
              ...(after ? { search_after: after } : {}),
            }),
          );
          pitId = page.pit_id ?? pitId;
          for (const hit of page.hits.hits) yield metaFromSource(hit._source);
          const last = page.hits.hits.at(-1);
          if (!last || page.hits.hits.length < scanPage) return;
          after = last.sort as (string | number)[];
        }
      } finally {
        await client.closePointInTime({ id: pitId }).catch(() => undefined);
      }
    },

    async get(ids) {
      if (ids.length === 0) return [];
      await current();
      const response = await call(`read documents from "${alias}"`, () =>
        client.mget<ImageMeta>({ index: alias, ids, _source_excludes: hiddenFields }),
      );
      return response.docs.flatMap((doc) =>
        'found' in doc && doc.found ? [metaFromSource(doc._source)] : [],
      );
    },

    async getVectors(ids, scope) {
      const visible = scopeQuery(scope);
      const vectors = new Map<string, Float32Array>();
      if (ids.length === 0) return vectors;
      if (ids.length > maxResults)
        throw new InputError('ids', `at most ${maxResults} at a time, got ${ids.length}`);
      await current();
      await seeOwnWrites();
      const response = await call(`read vectors from "${alias}"`, () =>
        client.search<Record<string, unknown>>({
          index: alias,
          query: { bool: { filter: [{ ids: { values: ids } }, visible] } },
          size: ids.length,
          _source: { includes: [vectorField] },
        }),
      );
      for (const hit of response.hits.hits) {
        const vector = vectorFromSource(hit._source?.[vectorField]);
        if (vector && hit._id) vectors.set(hit._id, vector);
      }
      return vectors;
    },

    async beginReindex(slice) {
      if (!slice.tenant?.trim() || !slice.source?.trim()) {
        throw new InputError('reindex', 'a rebuild needs the tenant and the source it refills');
      }
      const from = await readAlias(client, alias, target);
      if (!from)
        throw new ServiceError('elasticsearch', `index "${alias}" does not exist: nothing to rebuild`);
      const leftovers = await listLeftovers(client, alias, target);
      const removed = await removeAbandoned(client, leftovers, slice, abandonedRebuildAfterMs, target);
      for (const index of removed) pendingReindexes.delete(index);

      const began = new Date();
      const to = concreteIndexName(alias, began);
      await createIndex(
        client,
        to,
        rebuildMapping(from.mapping, slice, began),
        target,
        { [rebuildAlias(to)]: { is_write_index: true } },
        settings,
      );
      try {
        await copyAllBut(client, from.index, slice, { index: to, spec: from.spec, bulk, features });
      } catch (err) {
        await deleteIndex(client, to, target);
        throw err;
      }
      pendingReindexes.set(to, { from: from.index, to });
      return {
        id: to,
        upsert: (docs) => writeDocuments(client, rebuildAlias(to), docs, from.spec, bulk),
      } satisfies Reindex;
    },

    async commitReindex(reindex) {
      const pending = pendingReindexes.get(reindex.id);
      if (!pending) throw new InputError('reindex', `"${reindex.id}" is not a rebuild in progress`);
      await mergeRebuild(client, pending.to, target);
      await swapAlias(client, alias, pending.from, pending.to, target);
      pendingReindexes.delete(reindex.id);
      known = undefined;
    },

    async abortReindex(reindex) {
      const pending = pendingReindexes.get(reindex.id);
      if (!pending) return;
      await deleteIndex(client, pending.to, target);
      pendingReindexes.delete(reindex.id);
    },

    async slices() {
      if (!(await readAlias(client, alias, target))) return [];
      await seeOwnWrites();
      const slices: SliceCount[] = [];
      let after: Record<string, estypes.FieldValue> | undefined;
      for (;;) {
        const response = await call(`list the sources in "${alias}"`, () =>
          client.search({
            index: alias,
            size: 0,
            aggs: {
              slices: {
                composite: {
                  size: slicePage,
                  sources: [
                    { tenant: { terms: { field: 'tenant' } } },
                    { source: { terms: { field: 'source' } } },
                  ],
                  ...(after && { after }),
                },
              },
            },
          }),
        );
        const found = response.aggregations?.slices as estypes.AggregationsCompositeAggregate | undefined;
        const buckets = (found?.buckets ?? []) as estypes.AggregationsCompositeBucket[];
        for (const bucket of buckets) {
          slices.push({
            tenant: String(bucket.key.tenant),
            source: String(bucket.key.source),
            count: bucket.doc_count,
          });
        }
        if (buckets.length < slicePage || !found?.after_key) return slices;
        after = found.after_key;
      }
    },

    async beginModelSwitch(spec) {
      checkSpec(spec);
      const live = await readAlias(client, alias, target);
      if (!live) {
        throw new ServiceError(
          'elasticsearch',
          `index "${alias}" does not exist: nothing to switch, just index`,
        );
      }
      if (sameSpec(live.spec, spec)) {
        throw new InputError('model', `index "${alias}" already holds vectors of "${spec.modelId}"`);
      }
      checkIndexOptions(spec, indexOptions, features);
      const switches = (await listLeftovers(client, alias, target)).filter(
        (l) => l.state === 'unfinished rebuild' && l.switchTo !== undefined,
      );
      const resumable = switches.find((l) => sameSpec(l.switchTo as IndexSpec, spec));
      // An unfinished switch to another model is of no use to this one.
      for (const other of switches)
        if (other !== resumable) await claimAndDelete(client, other.index, target);
      let index = resumable?.index;
      if (index) {
        // What the stopped run wrote may not be searchable yet; the resumed runs scan it to skip it.
        const resumed = index;
        await call(`refresh "${resumed}"`, () => client.indices.refresh({ index: resumed }));
      } else {
        const began = new Date();
        index = concreteIndexName(alias, began);
        await createIndex(
          client,
          index,
          switchMapping(buildMappings(spec, indexOptions), began),
          target,
          { [rebuildAlias(index)]: { is_write_index: true } },
          settings,
        );
      }
      // The new index is reached through its rebuild alias, which the commit removes in the swap.
      const store = await createElasticsearchStore(
        { ...config, LOOKALIKE_INDEX: rebuildAlias(index) },
        options,
      );
      try {
        await store.ensureIndex(spec);
      } catch (err) {
        await store.close();
        throw err;
      }
      return { id: index, spec, resumed: resumable !== undefined, store } satisfies ModelSwitch;
    },

    async commitModelSwitch(change, atSwap) {
      await change.store.close();
      const live = await readAlias(client, alias, target);
      if (!live) throw new ServiceError('elasticsearch', `index "${alias}" vanished during the model switch`);
      await mergeRebuild(client, change.id, target);
      const swap = async () => {
        await pointAlias(client, alias, live.index, change.id, target);
        known = undefined;
      };
      await (atSwap ? atSwap(swap) : swap());
      await dropReplaced(client, live.index, target);
    },

    async abortModelSwitch(change) {
      await change.store.close();
      await claimAndDelete(client, change.id, target);
    },

    async close() {
      await client.close();
    },
  };
}
