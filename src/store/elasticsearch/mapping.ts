import type { estypes } from '@elastic/elasticsearch';
import type { Config } from '../../config/schema.js';
import { ServiceError } from '../../util/errors.js';
import { modelMismatch } from '../model-stamp.js';
import type { IndexSpec } from '../types.js';
import type { ServerFeatures } from './version.js';

export const vectorField = 'image_embedding';

export type IndexType = Config['ELASTICSEARCH_INDEX_TYPE'];

export interface IndexOptions {
  type: IndexType;
  m: number;
  efConstruction: number;
}

const keyword = { type: 'keyword' } as const;
// Names and paths are searchable as words and matchable exactly; very long values skip the exact form.
const textAndKeyword = {
  type: 'text',
  fields: { keyword: { type: 'keyword', ignore_above: 4096 } },
} as const;
const storedOnly = { type: 'keyword', index: false, doc_values: false } as const;

/**
 * The text read from images. `text` is analysed by the standard analyzer (words, lower case; Chinese one
 * character a token) and searched with fuzziness for misread letters; `text_compact` holds the words joined
 * without spaces in lower case, searched with `*word*` wildcards because OCR often runs words together. Only
 * core Elasticsearch features (no analysis-common, x-pack or scripts), so they work on every server we support
 * and can be added to an index created before them.
 */
/** What filters and date order need; added in place to an index made before them. */
export const filterFields = {
  format: keyword,
  date: { type: 'date', format: 'epoch_millis' },
  date_kind: keyword,
} as const satisfies Record<string, estypes.MappingProperty>;

export const textFields = {
  text: { type: 'text' },
  text_compact: { type: 'keyword', ignore_above: 8191 },
  text_confidence: { type: 'float' },
  text_by: keyword,
} as const satisfies Record<string, estypes.MappingProperty>;

/**
 * The thumbnail shown in replies (src/indexer/thumbnails.ts) and the content it was made from. `binary` is
 * neither indexed nor given doc values: it lives in `_source` only, and every normal read leaves it out
 * (`hiddenFields`). A full rewrite of the document drops both; the next index run makes them again.
 */
export const thumbnailFields = {
  thumbnail: { type: 'binary' },
  thumbnail_sha256: { type: 'keyword', index: false },
} as const satisfies Record<string, estypes.MappingProperty>;

/** Fields no search, scan or get returns: the vector and the thumbnail are read only by their own calls. */
export const hiddenFields = [vectorField, ...Object.keys(thumbnailFields)];

/**
 * One document per image. Cosine similarity: Elasticsearch normalises vectors at index time and scores
 * with a dot product internally, so it costs the same as `dot_product` but never rejects a vector whose
 * length drifted from 1 by rounding, and the scores it returns map back to exact cosine.
 */
export function buildMappings(spec: IndexSpec, options: IndexOptions): estypes.MappingTypeMapping {
  return {
    dynamic: 'strict',
    _meta: { lookalike: { dims: spec.dims, model_id: spec.modelId, index_type: options.type } },
    properties: {
      image_id: keyword,
      image_name: textAndKeyword,
      relative_path: textAndKeyword,
      other_paths: { type: 'keyword', ignore_above: 4096 },
      source: keyword,
      tenant: keyword,
      channel_id: keyword,
      author_id: keyword,
      sha256: keyword,
      model_id: keyword,
      url: storedOnly,
      permalink: storedOnly,
      width: { type: 'integer' },
      height: { type: 'integer' },
      bytes: { type: 'long' },
      mtime: { type: 'long' },
      posted_at: { type: 'date' },
      indexed_at: { type: 'date' },
      ...textFields,
      ...filterFields,
      ...thumbnailFields,
      [vectorField]: {
        type: 'dense_vector',
        dims: spec.dims,
        index: true,
        similarity: 'cosine',
        index_options: { type: options.type, m: options.m, ef_construction: options.efConstruction },
      },
    },
  };
}

/**
 * One shard: kNN explores every shard's graph, so splitting an index of this size only adds work; more
 * nodes serve more searches through replicas instead. `auto` keeps a replica wherever a second data node
 * exists (so losing one node loses no data) and none on a single node (which would otherwise stay yellow).
 */
export function indexSettings(replicas: Config['ELASTICSEARCH_REPLICAS']): estypes.IndicesIndexSettings {
  // The default interval, set explicitly: left unset, a shard without searches for 30 s goes "search idle"
  // and its next search waits for a refresh; a shard copy that just recovered on a node that rejoined the
  // cluster starts out idle, so the searches first routed to it ran out their 2 s budget.
  const refresh = { refresh_interval: '1s' };
  return replicas === 'auto'
    ? { number_of_shards: 1, auto_expand_replicas: '0-1', ...refresh }
    : { number_of_shards: 1, number_of_replicas: replicas, auto_expand_replicas: 'false', ...refresh };
}

/** Refuses index options the server or the model cannot support, before asking the server. */
export function checkIndexOptions(spec: IndexSpec, options: IndexOptions, features: ServerFeatures): void {
  if (options.type === 'bbq_hnsw' && !features.bbq) {
    throw new ServiceError(
      'elasticsearch',
      `ELASTICSEARCH_INDEX_TYPE=bbq_hnsw needs Elasticsearch 8.18 or newer (server is ${features.version}); use int8_hnsw`,
    );
  }
  if (options.type === 'bbq_hnsw' && spec.dims < 64) {
    throw new ServiceError(
      'elasticsearch',
      `ELASTICSEARCH_INDEX_TYPE=bbq_hnsw needs at least 64 dimensions (the model has ${spec.dims}); use int8_hnsw`,
    );
  }
}

/** The spec recorded in an index's mapping `_meta`, or undefined when lookalike did not create it. */
export function specFromMapping(mapping: estypes.MappingTypeMapping | undefined): IndexSpec | undefined {
  const meta = mapping?._meta?.lookalike as { dims?: unknown; model_id?: unknown } | undefined;
  if (typeof meta?.dims !== 'number' || typeof meta.model_id !== 'string') return undefined;
  return { dims: meta.dims, modelId: meta.model_id };
}

export function checkSameSpec(index: string, stored: IndexSpec, wanted: IndexSpec): void {
  if (stored.dims === wanted.dims && stored.modelId === wanted.modelId) return;
  throw modelMismatch('elasticsearch', index, stored, wanted);
}
