import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@elastic/elasticsearch';
import { ServiceError } from '../../util/errors.js';
import { toServiceError } from './errors.js';
import { deleteIndex } from './indices.js';
import type { ServerFeatures } from './version.js';

// A copy of millions of vectors can take long; the server does not stop when a client gives up anyway.
const copyTimeoutMs = 6 * 60 * 60 * 1000;

/**
 * Copies every document of `from` except the (tenant, source) slice into `to` with the server-side
 * `_reindex`, waiting for it to finish (the server keeps copying while we wait, however long it takes).
 */
export async function copyAllBut(
  client: Client,
  from: string,
  to: string,
  slice: { tenant: string; source: string },
  connection: { target: string; features: ServerFeatures },
): Promise<void> {
  const { target, features } = connection;
  const action = `copy "${from}" into "${to}"`;
  let copied;
  try {
    copied = await client.reindex(
      {
        source: {
          index: from,
          // Servers that keep vectors out of the stored _source rebuild them for a copy when asked.
          ...(features.sourceWithoutVectors ? { _source: { exclude_vectors: false } } : {}),
          query: {
            bool: {
              must_not: {
                bool: { filter: [{ term: { tenant: slice.tenant } }, { term: { source: slice.source } }] },
              },
            },
          },
        },
        dest: { index: to, op_type: 'index' },
        wait_for_completion: true,
      },
      { requestTimeout: copyTimeoutMs, maxRetries: 0 },
    );
  } catch (err) {
    throw toServiceError(err, action, target);
  }
  const failure = copied.failures?.[0];
  if (failure) {
    throw new ServiceError(
      'elasticsearch',
      `could not ${action}: ${copied.failures?.length} documents failed, e.g. ${failure.id}: ${failure.cause.reason}`,
    );
  }
}

// Searches that resolved the alias just before the swap may still be reading the old index.
const oldIndexGraceMs = 1_000;

/**
 * Points the alias at `to` instead of `from` in one `_aliases` call (readers see one or the other, never
 * neither), then drops `from`. Fails, changing nothing, when the alias no longer points at `from`.
 */
export async function swapAlias(
  client: Client,
  alias: string,
  from: string,
  to: string,
  target: string,
): Promise<void> {
  try {
    await client.indices.refresh({ index: to });
    await client.indices.updateAliases({
      actions: [
        { remove: { index: from, alias, must_exist: true } },
        { add: { index: to, alias, is_write_index: true } },
      ],
    });
  } catch (err) {
    throw toServiceError(err, `move alias "${alias}" from "${from}" to "${to}"`, target);
  }
  await sleep(oldIndexGraceMs);
  await deleteIndex(client, from, target);
}
