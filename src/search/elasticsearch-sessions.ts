import { createHash } from 'node:crypto';
import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import {
  defaultSessionLimits,
  newSessionId,
  type QuerySession,
  type SessionLimits,
  type SessionStore,
} from './sessions.js';
import { toServiceError } from '../store/elasticsearch/errors.js';

interface SessionSource {
  kind: 'session' | 'latest';
  tenant: string;
  actor_id: string;
  title?: string;
  count?: number;
  /** The query vector's float32 bytes, base64. */
  vector?: string;
  shown?: string[];
  /** What else the search asked for: words to find in images, filters, order (kept as given). */
  query?: Pick<QuerySession, 'text' | 'shape'>;
  created_at: number;
  /** On a `latest` pointer: the session it points at. */
  session_id?: string;
}

const stored = { type: 'keyword', index: false, doc_values: false } as const;
const queryField = { type: 'object', enabled: false } as const;
const mappings: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    kind: stored,
    tenant: stored,
    actor_id: stored,
    title: stored,
    count: { type: 'integer', index: false },
    vector: { type: 'binary' },
    shown: stored,
    query: queryField,
    created_at: { type: 'long', index: false },
    session_id: stored,
  },
};

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
const isMissingIndex = (err: unknown) =>
  err instanceof errors.ResponseError && /index_not_found/.test(JSON.stringify(err.body ?? ''));

/**
 * Sessions as documents in one index per UTC day, `<alias>_sessions-<yyyymmdd>` (an underscore: never one
 * of the alias's `<alias>-*` rebuild indices). Reads are real-time gets by id over today's and yesterday's
 * index (a session lives 30 minutes), so a `more` that lands on another process a moment after the search
 * finds it; a day's index is deleted when the day after next begins. Another person's or tenant's session
 * is never returned: the tenant is checked on every read, and ids are random.
 */
export function elasticsearchSessions(
  client: Client,
  alias: string,
  target: string,
  limits: SessionLimits = defaultSessionLimits,
  now: () => number = Date.now,
): SessionStore {
  const prefix = `${alias}_sessions-`;
  const ready = new Map<string, Promise<void>>();
  const indexFor = (ms: number) => `${prefix}${day(ms)}`;

  const createDayIndex = async (index: string) => {
    try {
      await client.indices.create({
        index,
        settings: { number_of_shards: 1, auto_expand_replicas: '0-1' },
        mappings,
      });
    } catch (err) {
      if (!JSON.stringify((err as errors.ResponseError).body ?? '').includes('already_exists')) {
        ready.delete(index);
        throw toServiceError(err, `create the session index "${index}"`, target);
      }
      // Made today by an older version: the field for the rest of the query is added in place.
      await client.indices.putMapping({ index, properties: { query: queryField } }).catch((e: unknown) => {
        ready.delete(index);
        throw toServiceError(e, `update the session index "${index}"`, target);
      });
    }
    // Days before yesterday hold only expired sessions.
    const keep = new Set([index, indexFor(now() - 86_400_000)]);
    const all = Object.keys(await client.indices.get({ index: `${prefix}*`, allow_no_indices: true }));
    const old = all.filter((name) => !keep.has(name) && name < index);
    if (old.length > 0) await client.indices.delete({ index: old.join(',') }).catch(() => undefined);
  };
  const ensure = (index: string) => {
    let made = ready.get(index);
    if (!made) ready.set(index, (made = createDayIndex(index)));
    return made;
  };

  const write = async (id: string, source: SessionSource) => {
    const index = indexFor(now());
    await ensure(index);
    try {
      await client.index({ index, id, document: source });
    } catch (err) {
      throw toServiceError(err, 'remember a search', target);
    }
  };

  /** Today's document with this id, or yesterday's. */
  const read = async (id: string): Promise<SessionSource | undefined> => {
    const t = now();
    const indices = [indexFor(t), indexFor(t - 86_400_000)];
    try {
      const found = await client.mget<SessionSource>({
        docs: indices.map((index) => ({ _index: index, _id: id })),
      });
      const hit = found.docs.find((d) => 'found' in d && d.found);
      return hit && 'found' in hit ? hit._source : undefined;
    } catch (err) {
      if (isMissingIndex(err)) return undefined;
      throw toServiceError(err, 'read a remembered search', target);
    }
  };

  const latestId = (tenant: string, actorId: string) =>
    `latest-${createHash('sha256').update(`${tenant}\u0000${actorId}`).digest('hex').slice(0, 32)}`;

  const toSession = (id: string, s: SessionSource, tenant: string): QuerySession | undefined => {
    if (s.kind !== 'session' || s.tenant !== tenant || now() - s.created_at > limits.ttlMs) return undefined;
    const bytes = Buffer.from(s.vector ?? '', 'base64');
    return {
      id,
      tenant: s.tenant,
      actorId: s.actor_id,
      title: s.title ?? '',
      count: s.count ?? 0,
      vector: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      shown: s.shown ?? [],
      ...s.query,
      createdAt: s.created_at,
    };
  };
  const sourceOf = (session: QuerySession): SessionSource => ({
    kind: 'session',
    tenant: session.tenant,
    actor_id: session.actorId,
    title: session.title,
    count: session.count,
    vector: Buffer.from(session.vector.buffer, session.vector.byteOffset, session.vector.byteLength).toString(
      'base64',
    ),
    shown: session.shown,
    query: {
      ...(session.text && { text: session.text }),
      ...(session.shape && { shape: session.shape }),
    },
    created_at: session.createdAt,
  });

  const get = async (id: string, tenant: string) => {
    const source = await read(id);
    return source ? toSession(id, source, tenant) : undefined;
  };

  return {
    async create(fields) {
      const session: QuerySession = { ...fields, id: newSessionId(), shown: [], createdAt: now() };
      await write(session.id, sourceOf(session));
      await write(latestId(fields.tenant, fields.actorId), {
        kind: 'latest',
        tenant: fields.tenant,
        actor_id: fields.actorId,
        session_id: session.id,
        created_at: session.createdAt,
      });
      return session;
    },
    get,
    async latestOf(tenant, actorId) {
      const pointer = await read(latestId(tenant, actorId));
      return pointer?.session_id ? get(pointer.session_id, tenant) : undefined;
    },
    async recordShown(session, offset, ids) {
      ids.forEach((id, i) => (session.shown[offset + i] = id));
      await write(session.id, sourceOf(session));
    },
  };
}
