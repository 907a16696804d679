import { hostname } from 'node:os';
import { InputError } from '../../util/errors.js';
import type { Holder, Lease, LeaseBackend, LeaseRecord, Leases } from './types.js';

/** Another process holds the key: the run is refused rather than run twice at once. */
export class LeaseHeldError extends InputError {
  constructor(
    key: string,
    readonly current: Holder,
    ttlMs: number,
  ) {
    super(
      key,
      `is being indexed by ${current.holder} since ${current.since}; wait for that run to finish ` +
        `(if that process died, its claim expires ${Math.round(ttlMs / 1000)} s after it stopped)`,
    );
    this.name = 'LeaseHeldError';
  }
}

/** This process, as other processes see it in a refusal: host and pid. */
export const thisProcess = () => `${hostname()} (pid ${process.pid})`;

/**
 * Leases on top of a backend's conditional writes: renewed every third of the TTL; a renewal that finds
 * the key taken over, or that cannot reach the backend until the lease would have expired, fires `lost`
 * (the holder then stops at a safe point: its writes are idempotent, so the next holder converges).
 */
export function leasesOn(backend: LeaseBackend, ttlMs: number, holder = thisProcess()): Leases {
  const held = new Set<() => Promise<void>>();
  return {
    async acquire(key) {
      const since = new Date().toISOString();
      const record = (now: number): LeaseRecord => ({ holder, since, expiresAt: now + ttlMs });
      const now = Date.now();
      const taken = await backend.take(key, record(now), now);
      if ('held' in taken) throw new LeaseHeldError(key, taken.held, ttlMs);

      let version = taken.version;
      let expiresAt = now + ttlMs;
      const lost = new AbortController();
      let renewing: Promise<void> = Promise.resolve();
      const timer = setInterval(() => {
        renewing = (async () => {
          const at = Date.now();
          try {
            const next = await backend.renew(key, record(at), version);
            if (next === undefined) return lostIt('another process took it over');
            version = next;
            expiresAt = at + ttlMs;
          } catch (error) {
            if (Date.now() >= expiresAt) lostIt(`could not renew it: ${(error as Error).message}`);
          }
        })();
      }, ttlMs / 3);
      timer.unref();
      const lostIt = (why: string) => {
        clearInterval(timer);
        lost.abort(
          new InputError(key, `lost its claim on this source (${why}); stopped to avoid a double run`),
        );
      };
      const release = async () => {
        clearInterval(timer);
        held.delete(release);
        await renewing;
        if (!lost.signal.aborted) await backend.drop(key, version).catch(() => undefined);
      };
      held.add(release);
      return { key, lost: lost.signal, release } satisfies Lease;
    },
    async running(prefix) {
      const live = await backend.list(prefix, Date.now());
      return live.map(({ key, holder: who, since }) => ({ key, holder: who, since }));
    },
    async close() {
      await Promise.all([...held].map((release) => release()));
      await backend.close();
    },
  };
}
