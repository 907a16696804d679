import type { LeaseBackend, LeaseRecord } from './types.js';

/**
 * Leases inside one process, for the embedded store: it lives on one machine's disk, where one bot or one
 * `lookalike index` at a time is the supported setup (several processes on one index need Elasticsearch).
 */
export function memoryLeaseBackend(): LeaseBackend {
  const records = new Map<string, LeaseRecord & { version: string }>();
  let versions = 0;
  return {
    async take(key, record, now) {
      const current = records.get(key);
      if (current && current.expiresAt > now) return { held: current };
      const version = String(++versions);
      records.set(key, { ...record, version });
      return { version };
    },
    async renew(key, record, version) {
      if (records.get(key)?.version !== version) return undefined;
      const next = String(++versions);
      records.set(key, { ...record, version: next });
      return next;
    },
    async list(prefix, now) {
      return [...records]
        .filter(([key, r]) => key.startsWith(prefix) && r.expiresAt > now)
        .map(([key, r]) => ({ key, holder: r.holder, since: r.since, expiresAt: r.expiresAt }));
    },
    async drop(key, version) {
      if (records.get(key)?.version === version) records.delete(key);
    },
    async close() {},
  };
}
