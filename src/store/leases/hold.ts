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
 * A holder on this machine whose process is gone (killed, crashed): its lease need not run out first, so
 * a run restarted right after a crash goes ahead. Holders elsewhere are only ever freed by expiry.
 */
function diedHere(holder: string): boolean {
  const match = /^(.*) \(pid (\d+)\)$/.exec(holder);
  if (!match || match[1] !== hostname() || Number(match[2]) === process.pid) return false;
  try {
    process.kill(Number(match[2]), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

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
      let taken = await backend.take(key, record(now), now);
      // Taken over as if expired: the backend's conditional write still lets only one process win.
      if ('held' in taken && diedHere(taken.held.holder)) {
        taken = await backend.take(key, record(now), taken.held.expiresAt + 1);
      }
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
