import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, helpers } from '@elastic/elasticsearch';
import type { ImageDocument, IndexSpec, UpsertFailure, UpsertResult } from '../types.js';
import { documentProblem } from '../validate.js';
import { toSource, type VectorEncoding } from './documents.js';
import { isRetryable, toServiceError } from './errors.js';
import { ServiceError } from '../../util/errors.js';

export interface BulkSettings {
  target: string;
  encoding: VectorEncoding;
  /** Bulk requests in flight at once. */
  concurrency: number;
  /** Tries per document before it is reported as failed. */
  attempts: number;
  /** First backoff pause; it doubles with each attempt (with jitter), up to 30 s. */
  backoffMs: number;
  /** Request body size at which the helper sends a batch. */
  flushBytes: number;
}

export const defaultBulkSettings = { concurrency: 2, attempts: 6, backoffMs: 500, flushBytes: 5_000_000 };

type BulkAction = ReturnType<helpers.BulkHelperOptions['onDocument']>;

/** One bulk operation; the action (with its document) is built only when the helper sends it. */
interface Op {
  id: string;
  action: () => BulkAction;
}

const backoff = (attempt: number, baseMs: number) =>
  Math.min(30_000, baseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
// The helper hands back the action line it sent, e.g. { index: { _index, _id } }.
const opId = (action: BulkAction) => (Object.values(action)[0] as { _id: string })._id;

/**
 * Runs bulk operations through the client's bulk helper until each one succeeded or failed for good, with one
 * retry policy in which every kind of failure has one place that retries it:
 * - an item refused with 429 (the node is busy): the helper itself resends it, `attempts - 1` times,
 *   `backoffMs` apart; still refused after that, it is reported failed;
 * - an item refused with another 5xx (a shard moving to another node), or a whole request that failed
 *   (connection lost, timeout, 429 or 5xx for the request): resent here in the next pass, up to `attempts`
 *   passes with exponential backoff. The transport does not also retry bulk requests (maxRetries 0), so a
 *   batch costs at most `attempts` requests, plus the helper's resends of busy items;
 * - anything else (a document the server refuses): reported at once, by item.
 * Ids are deterministic, so resending an operation whose outcome is unknown is harmless.
 */
async function runBulk(
  client: Client,
  ops: Op[],
  settings: BulkSettings,
  params: { refusal: string; ignoreStatus?: number; requireAlias?: boolean },
): Promise<{ failed: UpsertFailure[] }> {
  const failed: UpsertFailure[] = [];
  let pending = ops;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const resend = new Set<string>();
    const done = new Set<string>();
    let requestError: unknown;
    try {
      await client.helpers.bulk<Op>(
        {
          datasource: pending,
          onDocument: (op) => op.action(),
          concurrency: settings.concurrency,
          flushBytes: settings.flushBytes,
          retries: settings.attempts - 1,
          wait: settings.backoffMs,
          ...(params.requireAlias ? { require_alias: true } : {}),
          onDrop: ({ status, error, operation }) => {
            const id = opId(operation);
            if (status === params.ignoreStatus) return;
            if (status >= 500) return void resend.add(id);
            done.add(id);
            const reason = error ? `${error.type}: ${error.reason}` : `status ${status}`;
            failed.push({
              image_id: id,
              reason:
                status === 429
                  ? `gave up after ${settings.attempts} attempts: ${reason}, server busy`
                  : reason,
            });
          },
        },
        { maxRetries: 0 },
      );
    } catch (err) {
      if (!isRetryable(err)) throw toServiceError(err, params.refusal, settings.target);
      requestError = err;
    }
    // After a failed request nobody knows which of its items landed: resend all that did not fail for good.
    pending = requestError
      ? pending.filter((op) => !done.has(op.id))
      : pending.filter((op) => resend.has(op.id));
    if (pending.length === 0) break;
    if (attempt >= settings.attempts) {
      // The last request got no answer at all (the server is down or unreachable): an outage, not a bad item.
      // It ends the write, so an indexing run stops with Elasticsearch named instead of crawling on. A server
      // that answers with an error (429, 5xx) still gets its documents reported one by one.
      const status = (requestError as { meta?: { statusCode?: number } } | undefined)?.meta?.statusCode;
      if (requestError && status === undefined) {
        const cause = toServiceError(requestError, params.refusal, settings.target);
        throw new ServiceError('elasticsearch', `${cause.message} (gave up after ${attempt} attempts)`, {
          cause: requestError,
        });
      }
      const why = requestError
        ? toServiceError(requestError, params.refusal, settings.target).message
        : 'the shard stayed unavailable';
      failed.push(
        ...pending.map((op) => ({ image_id: op.id, reason: `gave up after ${attempt} attempts: ${why}` })),
      );
      break;
    }
    await sleep(backoff(attempt, settings.backoffMs));
  }
  return { failed };
}

/**
 * Validates and writes documents (id = image_id, so a rewrite replaces). Every failure is reported per item.
 * `alias` must be an alias: a write never creates an index (e.g. one a concurrent cleanup just deleted).
 */
export async function writeDocuments(
  client: Client,
  alias: string,
  docs: ImageDocument[],
  spec: IndexSpec,
  settings: BulkSettings,
): Promise<UpsertResult> {
  const rejected: UpsertFailure[] = [];
  const ops: Op[] = [];
  for (const doc of docs) {
    const reason = documentProblem(doc, spec);
    if (reason) rejected.push({ image_id: String(doc.image_id ?? ''), reason });
    else {
      ops.push({
        id: doc.image_id,
        action: () => [{ index: { _index: alias, _id: doc.image_id } }, toSource(doc, settings.encoding)],
      });
    }
  }
  const { failed } = await runBulk(client, ops, settings, {
    refusal: `write to "${alias}"`,
    requireAlias: true,
  });
  return { written: ops.length - failed.length, failed: [...rejected, ...failed] };
}

/** Deletes by id; ids that do not exist are fine. Throws when any delete failed for good. */
export async function deleteDocuments(client: Client, index: string, ids: string[], settings: BulkSettings) {
  const ops = ids.map((id) => ({ id, action: () => ({ delete: { _index: index, _id: id } }) }));
  const { failed } = await runBulk(client, ops, settings, {
    refusal: `delete from "${index}"`,
    ignoreStatus: 404,
  });
  if (failed.length > 0) {
    const first = failed[0] as UpsertFailure;
    throw toServiceError(
      new Error(`${failed.length} of ${ids.length} deletes failed, e.g. ${first.image_id}: ${first.reason}`),
      `delete from "${index}"`,
      settings.target,
    );
  }
}
