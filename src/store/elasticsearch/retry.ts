import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable } from './errors.js';

/**
 * Runs background work (not a chat user's search) again after a transient failure: on a cluster, a shard
 * copy that another process just created, or that moved because a node left, answers 503 "all shards
 * failed" for a moment. Waits 250 ms, then doubles, five tries in all (about 4 s).
 */
export async function retryTransient<T>(run: () => Promise<T>, attempts = 5, firstMs = 250): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
      await sleep(firstMs * 2 ** (attempt - 1));
    }
  }
}
