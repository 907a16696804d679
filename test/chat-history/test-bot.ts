// Every chat-history test runs against both stores: a real bot on the embedded store, and one on Elasticsearch
// (ELASTICSEARCH_URL, a fresh alias per bot, dropped when it closes). Without ELASTICSEARCH_URL the Elasticsearch
// runs fail, never skip.
import { ChatChannels } from '../../src/sources/chat/channels.js';
import { LiveChatIndexer } from '../../src/indexer/live-chat.js';
import { createTestBot, type TestBot, type TestBotOptions } from '../helpers/bot.js';
import { backends, type Backend } from '../indexer/helpers/stores.js';
import { adminClient, dropIndices, elasticsearchUrl, uniqueAlias } from '../store/elasticsearch-support.js';

export { backends, type Backend };

export interface ChatTestBot extends TestBot {
  backend: Backend;
  /**
   * Elasticsearch is near-real-time: searches see writes about a second later. Makes everything written so far
   * visible, as a person searching a little later would find it (a no-op for the embedded store).
   */
  refresh(): Promise<void>;
  /** The images the store holds now of one chat channel (`source`) of a guild / workspace. */
  countOf(tenant: string, source: string): Promise<number>;
}

export async function chatTestBot(backend: Backend, options: TestBotOptions = {}): Promise<ChatTestBot> {
  if (backend === 'embedded') {
    const test = await createTestBot(options);
    return {
      ...test,
      backend,
      refresh: async () => undefined,
      countOf: (tenant, source) => test.store.count({ tenant }, { source: [source] }),
    };
  }
  const alias = uniqueAlias();
  const env = {
    LOOKALIKE_STORE: 'elasticsearch',
    ELASTICSEARCH_URL: elasticsearchUrl(),
    LOOKALIKE_INDEX: alias,
  };
  const test = await createTestBot({ ...options, env: { ...env, ...options.env } });
  const client = adminClient();
  const refresh = async () => {
    await client.indices.refresh({ index: alias, ignore_unavailable: true, allow_no_indices: true });
  };
  return {
    ...test,
    backend,
    refresh,
    async countOf(tenant, source) {
      await refresh();
      return test.store.count({ tenant }, { source: [source] });
    },
    async close() {
      try {
        await test.close();
      } finally {
        await dropIndices(client, alias);
        await client.close();
      }
    },
  };
}

/** The bot's chat channel list and a live indexer over it that writes within 100 ms of an event. */
export function liveIndexing(test: ChatTestBot): { channels: ChatChannels; live: LiveChatIndexer } {
  const channels = new ChatChannels(test.config.LOOKALIKE_DATA_DIR);
  const live = new LiveChatIndexer({
    store: test.store,
    embedder: test.embedder,
    logger: test.logger,
    channels,
    batchMs: 100,
  });
  return { channels, live };
}
