import { randomBytes } from 'node:crypto';
import type { SearchShape } from './service.js';
import type { FindText } from './text-query.js';

/** One search someone ran: enough to fetch its next page or find images like one of its results. */
export interface QuerySession {
  id: string;
  tenant: string;
  actorId: string;
  title: string;
  /** Results per page. */
  count: number;
  vector: Float32Array;
  /** What to find in the text read from images (text searches only). */
  text?: FindText;
  /** Filters, order and whether to show everything (the query language's filters, sort: and all:). */
  shape?: SearchShape;
  /** image_id of every result shown so far, by rank - 1. */
  shown: string[];
  createdAt: number;
}

export interface SessionLimits {
  ttlMs: number;
  maxSessions: number;
}

/**
 * Where sessions live. In this process's memory for one bot (QuerySessions); in Elasticsearch when several
 * bot processes serve one index, so a `more` or "similar to #2" that lands on another process finds them
 * (src/search/elasticsearch-sessions.ts). A session is only ever returned to the tenant that created it.
 */
export interface SessionStore {
  create(fields: Omit<QuerySession, 'id' | 'createdAt' | 'shown'>): Promise<QuerySession>;
  /** The session, if it exists, is still fresh and belongs to this tenant. */
  get(id: string, tenant: string): Promise<QuerySession | undefined>;
  /** The last search this person ran in this tenant (for `/more` and `#n` without a cursor). */
  latestOf(tenant: string, actorId: string): Promise<QuerySession | undefined>;
  /** Notes the results of one page (`ids` shown from rank `offset` + 1 on). */
  recordShown(session: QuerySession, offset: number, ids: string[]): Promise<void>;
}

export const newSessionId = () => randomBytes(9).toString('base64url');
export const defaultSessionLimits: SessionLimits = { ttlMs: 30 * 60_000, maxSessions: 5_000 };

/**
 * Short-lived, in-memory state behind `more` and "similar to result #n" (one bot process).
 *
 * Why state rather than a stateless cursor: the next page of an image query needs its 512-float vector, which
 * does not fit the 100-character button ids chat platforms allow; a random session id does, and cannot be forged
 * into another tenant's query (a session is only ever returned to the tenant that created it). Sessions live
 * `ttlMs` (default 30 minutes) and the oldest are dropped beyond `maxSessions`; a restart forgets them, and an
 * expired cursor gets a clear "run the search again".
 */
export class QuerySessions implements SessionStore {
  private readonly byId = new Map<string, QuerySession>();
  private readonly latest = new Map<string, string>();

  constructor(
    private readonly limits: SessionLimits = defaultSessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  async create(fields: Omit<QuerySession, 'id' | 'createdAt' | 'shown'>): Promise<QuerySession> {
    const session: QuerySession = {
      ...fields,
      id: newSessionId(),
      shown: [],
      createdAt: this.now(),
    };
    this.byId.set(session.id, session);
    this.latest.set(actorKey(fields.tenant, fields.actorId), session.id);
    while (this.byId.size > this.limits.maxSessions) {
      this.drop(this.byId.values().next().value as QuerySession);
    }
    return session;
  }

  async get(id: string, tenant: string): Promise<QuerySession | undefined> {
    return this.fresh(id, tenant);
  }

  private fresh(id: string, tenant: string): QuerySession | undefined {
    const session = this.byId.get(id);
    if (!session) return undefined;
    if (this.now() - session.createdAt > this.limits.ttlMs) {
      this.drop(session);
      return undefined;
    }
    return session.tenant === tenant ? session : undefined;
  }

  async latestOf(tenant: string, actorId: string): Promise<QuerySession | undefined> {
    const id = this.latest.get(actorKey(tenant, actorId));
    return id === undefined ? undefined : this.fresh(id, tenant);
  }

  async recordShown(session: QuerySession, offset: number, ids: string[]): Promise<void> {
    ids.forEach((id, i) => (session.shown[offset + i] = id));
  }

  private drop(session: QuerySession): void {
    this.byId.delete(session.id);
    const key = actorKey(session.tenant, session.actorId);
    if (this.latest.get(key) === session.id) this.latest.delete(key);
  }
}

const actorKey = (tenant: string, actorId: string) => `${tenant}\u0000${actorId}`;

/** A page cursor: which session, and where the next page starts. */
export interface Cursor {
  sessionId: string;
  offset: number;
}

export const encodeCursor = (cursor: Cursor): string => `${cursor.sessionId}.${cursor.offset}`;

/** Undefined when the text is not a cursor this bot could have made. */
export function decodeCursor(text: string): Cursor | undefined {
  const match = /^([A-Za-z0-9_-]{12})\.(\d{1,4})$/.exec(text.trim());
  if (!match) return undefined;
  return { sessionId: match[1] as string, offset: Number(match[2]) };
}
