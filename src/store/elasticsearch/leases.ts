import { createHash } from 'node:crypto';
import { errors, type Client } from '@elastic/elasticsearch';
import type { LeaseBackend, LeaseRecord } from '../leases/types.js';
import { toServiceError } from './errors.js';

interface LeaseSource {
  key: string;
  holder: string;
  since: string;
  expires_at: number;
}

const isConflict = (err: unknown) => err instanceof errors.ResponseError && err.statusCode === 409;
const isMissing = (err: unknown) => err instanceof errors.ResponseError && err.statusCode === 404;
const versionOf = (r: { _seq_no?: number; _primary_term?: number }) => `${r._seq_no}:${r._primary_term}`;
const ifVersion = (version: string) => {
  const [seq, term] = version.split(':').map(Number);
  return { if_seq_no: seq as number, if_primary_term: term as number };
};
const toSource = (key: string, r: LeaseRecord): LeaseSource => ({
  key,
  holder: r.holder,
  since: r.since,
  expires_at: r.expiresAt,
});

/**
 * Leases as documents of `<alias>_leases` (an underscore, so the alias's `<alias>-*` rebuild indices never
 * include it), one per key. Every change is a conditional write on the document's sequence number and
 * primary term, and reads are real-time gets: two processes can never both believe they hold a key.
 * Expiry uses the holders' clocks, so the TTL must dwarf the clock skew between machines.
 */
export function elasticsearchLeaseBackend(client: Client, alias: string, target: string): LeaseBackend {
  // The backend owns `client` and closes it.
  const index = `${alias}_leases`;
  let created: Promise<void> | undefined;
  const ensure = () =>
    (created ??= client.indices
      .create({
        index,
        settings: { number_of_shards: 1, auto_expand_replicas: '0-all' },
        mappings: {
          dynamic: 'strict',
          properties: {
            key: { type: 'keyword' },
            holder: { type: 'keyword' },
            since: { type: 'date' },
            expires_at: { type: 'long' },
          },
        },
      })
      .then(
        () => undefined,
        (err: unknown) => {
          const exists =
            err instanceof errors.ResponseError && /already_exists/.test(JSON.stringify(err.body ?? ''));
          if (exists) return;
          created = undefined;
          throw toServiceError(err, `create the lease index "${index}"`, target);
        },
      ));
  // Keys are free text (a source path); ids are at most 512 bytes.
  const idOf = (key: string) => createHash('sha256').update(key).digest('hex');

  const take: LeaseBackend['take'] = async (key, record, now) => {
    await ensure();
    const id = idOf(key);
    try {
      const made = await client.create({ index, id, document: toSource(key, record) });
      return { version: versionOf(made) };
    } catch (err) {
      if (!isConflict(err)) throw toServiceError(err, `take the lease on ${key}`, target);
    }
    let current;
    try {
      current = await client.get<LeaseSource>({ index, id });
    } catch (err) {
      // Released between our create and this read: try once more from the start.
      if (isMissing(err)) return take(key, record, now);
      throw toServiceError(err, `read the lease on ${key}`, target);
    }
    const held = current._source as LeaseSource;
    if (held.expires_at > now) {
      return { held: { holder: held.holder, since: held.since, expiresAt: held.expires_at } };
    }
    // Expired: take it over, unless another process does so first.
    try {
      const over = await client.index({
        index,
        id,
        document: toSource(key, record),
        ...ifVersion(versionOf(current)),
      });
      return { version: versionOf(over) };
    } catch (err) {
      if (isConflict(err)) return take(key, record, now);
      throw toServiceError(err, `take over the lease on ${key}`, target);
    }
  };

  return {
    take,
    async renew(key, record, version) {
      try {
        const renewed = await client.index({
          index,
          id: idOf(key),
          document: toSource(key, record),
          ...ifVersion(version),
        });
        return versionOf(renewed);
      } catch (err) {
        if (isConflict(err) || isMissing(err)) return undefined;
        throw toServiceError(err, `renew the lease on ${key}`, target);
      }
    },
    async list(prefix, now) {
      try {
        // Searches see the last refresh; status wants the leases taken a moment ago too.
        await client.indices.refresh({ index });
        const found = await client.search<LeaseSource>({
          index,
          size: 100,
          query: {
            bool: { filter: [{ prefix: { key: prefix } }, { range: { expires_at: { gt: now } } }] },
          },
        });
        return found.hits.hits.map((hit) => {
          const s = hit._source as LeaseSource;
          return { key: s.key, holder: s.holder, since: s.since, expiresAt: s.expires_at };
        });
      } catch (err) {
        if (isMissing(err)) return [];
        throw toServiceError(err, 'list the leases', target);
      }
    },
    async drop(key, version) {
      try {
        await client.delete({ index, id: idOf(key), ...ifVersion(version) });
      } catch (err) {
        if (!isConflict(err) && !isMissing(err))
          throw toServiceError(err, `release the lease on ${key}`, target);
      }
    },
    close: () => client.close(),
  };
}
