import { setTimeout as sleep } from 'node:timers/promises';
import { errors, type Client } from '@elastic/elasticsearch';
import { toServiceError } from './errors.js';
import { deleteIndex } from './indices.js';
import { rebuildAlias } from './rebuilds.js';

// Searches that resolved the alias just before the swap may still be reading the old index.
const oldIndexGraceMs = 1_000;
/** Pause before asking again whether a merge finished: soon for a small index, every 5 s for a large one. */
const mergePollMs = (attempt: number) => Math.min(5_000, 250 * 2 ** attempt);
/** A merge still unfinished after this long is reported as failed (the rebuild is then aborted). */
const mergeDeadlineMs = 6 * 60 * 60 * 1000;

/**
 * Whether the merge `task` of `index` is done. The task says so, and reports a failure; an API key without
 * the `monitor` cluster privilege may not read tasks, and then the index's own stats tell: no merge running
 * and at most one segment per shard copy.
 */
async function mergeDone(client: Client, task: string, index: string): Promise<boolean> {
  try {
    const status = await client.tasks.get({ task_id: task });
    if (status.error) throw new Error(`${status.error.type}: ${status.error.reason}`);
    return status.completed;
  } catch (err) {
    if (!(err instanceof errors.ResponseError && err.statusCode === 403)) throw err;
  }
  const stats = await client.indices.stats({ index, metric: ['merge', 'segments'] });
  const copies = stats._shards?.successful ?? 1;
  const total = stats._all.total;
  return total?.merges?.current === 0 && (total.segments?.count ?? Infinity) <= copies;
}

/**
 * Makes a finished rebuild fast to search: one segment means one HNSW graph per query instead of one per
 * bulk-load segment (bench/elasticsearch-store.md), then a refresh so all of it is visible. The merge runs
 * as a server task that is polled until done: merging millions of vectors takes longer than the client's
 * request timeout (60 s), which a longer timeout on one request cannot extend (undici's own timeouts are
 * set from the client's).
 */
export async function mergeRebuild(client: Client, index: string, target: string): Promise<void> {
  const action = `force-merge the rebuilt index "${index}"`;
  try {
    const { task } = await client.indices.forcemerge({
      index,
      max_num_segments: 1,
      wait_for_completion: false,
    });
    if (task === undefined) throw new Error('the server started no merge task');
    const deadline = Date.now() + mergeDeadlineMs;
    for (let attempt = 0; !(await mergeDone(client, String(task), index)); attempt++) {
      if (Date.now() > deadline) throw new Error(`not finished after ${mergeDeadlineMs / 3_600_000} h`);
      await sleep(mergePollMs(attempt));
    }
    await client.indices.refresh({ index });
  } catch (err) {
    throw toServiceError(err, action, target);
  }
}

/**
 * Points the alias at the rebuild `to` instead of `from` and removes `to`'s rebuild alias, in one `_aliases`
 * call: readers see one index or the other, never neither. It fails, changing nothing, when the alias no
 * longer points at `from` or when `to` is no longer an unfinished rebuild (a cleanup claimed it).
 */
export async function pointAlias(
  client: Client,
  alias: string,
  from: string,
  to: string,
  target: string,
): Promise<void> {
  try {
    await client.indices.updateAliases({
      actions: [
        { remove: { index: from, alias, must_exist: true } },
        { add: { index: to, alias, is_write_index: true } },
        { remove: { index: to, alias: rebuildAlias(to), must_exist: true } },
      ],
    });
  } catch (err) {
    throw toServiceError(err, `move alias "${alias}" from "${from}" to "${to}"`, target);
  }
}

/** Drops the index an alias pointed at before a swap, once searches that resolved the alias before it are done. */
export async function dropReplaced(client: Client, from: string, target: string): Promise<void> {
  await sleep(oldIndexGraceMs);
  await deleteIndex(client, from, target);
}

/** pointAlias, then the old index is dropped. */
export async function swapAlias(
  client: Client,
  alias: string,
  from: string,
  to: string,
  target: string,
): Promise<void> {
  await pointAlias(client, alias, from, to, target);
  await dropReplaced(client, from, target);
}
