import type { estypes } from '@elastic/elasticsearch';
import { compact } from '../../ocr/words.js';
import type { DocFilter, KnnQuery, TenantScope, TextQuery } from '../types.js';
import { tenantsOf } from '../tenants.js';
import { checkQuery, checkScope } from '../validate.js';
import { vectorField } from './mapping.js';

/** Elasticsearch's own ceiling for k and num_candidates. */
const maxCandidates = 10_000;

/** The filter every read carries: the asker's tenant (plus shared `*`), visible channels, then the DocFilter. */
export function scopeQuery(scope: TenantScope, filter?: DocFilter): estypes.QueryDslQueryContainer {
  checkScope(scope);
  const clauses: estypes.QueryDslQueryContainer[] = [{ terms: { tenant: tenantsOf(scope) } }];
  if (scope.visibleChannels) {
    clauses.push({
      bool: {
        should: [
          { bool: { must_not: { exists: { field: 'channel_id' } } } },
          { terms: { channel_id: scope.visibleChannels } },
        ],
        minimum_should_match: 1,
      },
    });
  }
  if (filter?.source) clauses.push({ terms: { source: filter.source } });
  if (filter?.channel_id) clauses.push({ terms: { channel_id: filter.channel_id } });
  if (filter?.author_id) clauses.push({ terms: { author_id: filter.author_id } });
  if (filter?.format) clauses.push({ terms: { format: filter.format } });
  if (filter?.date) {
    const { from, until } = filter.date;
    clauses.push({
      range: {
        date: { ...(from !== undefined && { gte: from }), ...(until !== undefined && { lt: until }) },
      },
    });
  }
  return { bool: { filter: clauses } };
}

export interface KnnTuning {
  dims: number;
  /** Used when the query names no numCandidates. */
  defaultNumCandidates: number;
  /** Re-rank k x oversample quantised candidates with the full vectors; undefined = no rescoring. */
  oversample?: number;
}

/** A top-level knn search: approximate HNSW search restricted by the scope filter, without the vectors. */
export function knnSearch(query: KnnQuery, tuning: KnnTuning): estypes.SearchRequest {
  checkQuery(query, tuning.dims);
  const numCandidates = Math.min(
    maxCandidates,
    Math.max(query.k, query.numCandidates ?? tuning.defaultNumCandidates),
  );
  return {
    knn: {
      field: vectorField,
      query_vector: Array.from(query.vector),
      k: query.k,
      num_candidates: numCandidates,
      filter: scopeQuery(query.scope, query.filter),
      // knn `similarity` is compared with the raw vector similarity (cosine here), not with the _score.
      ...(query.similarity !== undefined ? { similarity: query.similarity } : {}),
      ...(tuning.oversample ? { rescore_vector: { oversample: tuning.oversample } } : {}),
    },
    size: query.k,
    _source: { excludes: [vectorField] },
  };
}

/** Elasticsearch scores cosine as (1 + cos) / 2 so that scores stay positive; undo that. */
export const cosineFromScore = (score: number) => Math.max(-1, Math.min(1, 2 * score - 1));

/** Candidates a text search ranks (src/store/text-match.ts picks and orders the hits among them). */
export const textCandidates = 300;

/**
 * Images in scope whose text holds a query word: as an analysed word with fuzziness (misread letters), or
 * inside the run-together form (`*word*` on text_compact). A phrase needs its words run together in order.
 */
export function textSearch(query: TextQuery, words: string[]): estypes.SearchRequest {
  const inside = (value: string): estypes.QueryDslQueryContainer => ({
    wildcard: { text_compact: { value: `*${value}*` } },
  });
  const should: estypes.QueryDslQueryContainer[] = [
    { match: { text: { query: words.join(' '), fuzziness: 'AUTO' } } },
    ...words.map(inside),
  ];
  return {
    query: {
      bool: {
        filter: [
          scopeQuery(query.scope, query.filter),
          ...(query.phrase ? [inside(compact(query.words))] : []),
        ],
        should,
        minimum_should_match: 1,
      },
    },
    size: textCandidates,
    _source: { excludes: [vectorField] },
  };
}
