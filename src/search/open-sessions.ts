import type { Config } from '../config/schema.js';
import { storeBackend } from '../store/open.js';
import { QuerySessions, type SessionStore } from './sessions.js';

export interface OpenedSessions {
  sessions: SessionStore;
  close(): Promise<void>;
}

/**
 * Remembered searches for the configured store: with Elasticsearch they live beside the index, so every
 * bot process serving it can page or find "similar to #n" for a search another process answered; with the
 * embedded store (one process) they stay in memory.
 */
export async function openSessions(config: Config): Promise<OpenedSessions> {
  if (storeBackend(config) !== 'elasticsearch') {
    return { sessions: new QuerySessions(), close: async () => {} };
  }
  const [{ Client }, { clientOptions, describeTarget }, { elasticsearchSessions }] = await Promise.all([
    import('@elastic/elasticsearch'),
    import('../store/elasticsearch/connect.js'),
    import('./elasticsearch-sessions.js'),
  ]);
  const client = new Client(clientOptions(config));
  return {
    sessions: elasticsearchSessions(client, config.LOOKALIKE_INDEX, describeTarget(config)),
    close: () => client.close(),
  };
}
