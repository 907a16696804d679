import type { Client, estypes } from '@elastic/elasticsearch';
import { ServiceError } from '../../util/errors.js';
import type { ImageDocument, IndexSpec, UpsertFailure } from '../types.js';
import { writeDocuments, type BulkSettings } from './bulk.js';
import { vectorFromSource } from './documents.js';
import { toServiceError } from './errors.js';
import { vectorField } from './mapping.js';
import { rebuildAlias, type Slice } from './rebuilds.js';
import type { ServerFeatures } from './version.js';

const pageSize = 1_000;
// Long enough for one page's bulk writes, retries and backoff included, between two reads.
const pitKeepAlive = '5m';
const namedFailures = 10;

export interface CopyTarget {
  /** The rebuild's index; writes go through its rebuild alias, so they fail rather than recreate it if deleted. */
  index: string;
  spec: IndexSpec;
  bulk: BulkSettings;
  features: ServerFeatures;
}

type Hit = estypes.SearchHit<Record<string, unknown>>;

/** A stored document back in the shape `upsert` takes; a missing vector is left for validation to report. */
function documentFromHit(hit: Hit): ImageDocument {
  const source = hit._source ?? {};
  return { ...source, [vectorField]: vectorFromSource(source[vectorField]) } as unknown as ImageDocument;
}

function copyFailed(from: string, to: string, failed: UpsertFailure[]): ServiceError {
  const named = failed
    .slice(0, namedFailures)
    .map((f) => `${f.image_id} (${f.reason})`)
    .join('; ');
  const more = failed.length > namedFailures ? `; and ${failed.length - namedFailures} more` : '';
  return new ServiceError(
    'elasticsearch',
    `could not copy "${from}" into "${to}": ${failed.length} documents failed: ${named}${more}`,
  );
}

/**
 * Copies every document of `from` except the slice into a rebuild, client side: pages of a point-in-time
 * search in `_shard_doc` order (vectors included), each written through the bulk path (bounded concurrency,
 * retries) while the next page is read. Stops at the first page with failures and throws naming them.
 * The point in time is always closed.
 */
export async function copyAllBut(client: Client, from: string, slice: Slice, to: CopyTarget): Promise<void> {
  const { target } = to.bulk;
  const query: estypes.QueryDslQueryContainer = {
    bool: {
      must_not: {
        bool: { filter: [{ term: { tenant: slice.tenant } }, { term: { source: slice.source } }] },
      },
    },
  };
  // Servers that keep vectors out of the stored _source rebuild them for a read that asks.
  const source: estypes.SearchSourceConfig = to.features.sourceWithoutVectors
    ? { exclude_vectors: false }
    : true;
  let pitId: string;
  try {
    pitId = (await client.openPointInTime({ index: from, keep_alive: pitKeepAlive })).id;
  } catch (err) {
    throw toServiceError(err, `open a point in time on "${from}"`, target);
  }

  const readPage = async (after?: estypes.SortResults): Promise<Hit[]> => {
    try {
      const page = await client.search<Record<string, unknown>>({
        pit: { id: pitId, keep_alive: pitKeepAlive },
        query,
        size: pageSize,
        sort: ['_shard_doc'],
        track_total_hits: false,
        _source: source,
        ...(after && { search_after: after }),
      });
      pitId = page.pit_id ?? pitId;
      return page.hits.hits;
    } catch (err) {
      throw toServiceError(err, `read "${from}" for a rebuild`, target);
    }
  };

  try {
    let next: Promise<Hit[]> | undefined = readPage();
    while (next) {
      const hits: Hit[] = await next;
      const last = hits.at(-1);
      next = hits.length === pageSize && last ? readPage(last.sort) : undefined;
      // A failed write ends the copy before this read is awaited: keep its rejection from going unhandled.
      next?.catch(() => undefined);
      if (hits.length === 0) break;
      const docs = hits.map(documentFromHit);
      const written = await writeDocuments(client, rebuildAlias(to.index), docs, to.spec, to.bulk);
      if (written.failed.length > 0) throw copyFailed(from, to.index, written.failed);
    }
  } finally {
    await client.closePointInTime({ id: pitId }).catch(() => undefined);
  }
}
