import type { TransportRequestOptions } from '@elastic/elasticsearch';

/** A chat user's search gets this long in all, whatever the cluster does meanwhile. */
export const interactiveBudgetMs = 2_000;
/** After this long without an answer, the same search also goes to another node. */
export const hedgeAfterMs = 1_000;

/**
 * The request options of one try: the time left in the budget, and one quick retry on another node when
 * the first refuses the connection or answers 502-504, so an outage is reported within the budget instead
 * of after the client's default 3 retries with backoff (5-10 s).
 */
const attempt = (timeoutMs: number, signal: AbortSignal): TransportRequestOptions => ({
  requestTimeout: timeoutMs,
  maxRetries: 1,
  retryBackoff: () => 0.1,
  signal,
});

/**
 * Runs a read for a chat user within the 2 s budget, hedged: when the first node has not answered after
 * 1 s, the same read is sent again (the client's round robin picks the next node) and the first answer
 * wins; the other request is aborted. On a cluster, a node that just rejoined answers its first requests
 * slowly while its JVM compiles and its caches fill, and a request that happens to land there would
 * otherwise run out the whole budget. A failure before the hedge is sent is reported at once; after it,
 * the read fails only when both have failed (with the first one's error).
 */
export function hedged<T>(send: (options: TransportRequestOptions) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const first = new AbortController();
    const second = new AbortController();
    let settled = false;
    let hedgeSent = false;
    let failures = 0;
    let firstError: unknown;
    const win = (value: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      first.abort();
      second.abort();
      resolve(value);
    };
    const lose = (error: unknown, isFirst: boolean) => {
      if (settled) return;
      if (isFirst) firstError = error;
      failures++;
      // Before the hedge is sent, the first failure is the answer; after, both must have failed.
      if (hedgeSent && failures < 2) return;
      settled = true;
      clearTimeout(timer);
      reject(firstError ?? error);
    };
    send(attempt(interactiveBudgetMs, first.signal)).then(win, (error: unknown) => lose(error, true));
    const timer = setTimeout(() => {
      hedgeSent = true;
      send(attempt(interactiveBudgetMs - hedgeAfterMs, second.signal)).then(win, (error: unknown) =>
        lose(error, false),
      );
    }, hedgeAfterMs);
  });
}
