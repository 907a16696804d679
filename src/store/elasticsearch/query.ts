import type { estypes } from '@elastic/elasticsearch';
import type { DocFilter, KnnQuery, TenantScope } from '../types.js';
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
