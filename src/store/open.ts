import type { Config } from '../config/schema.js';
import type { VectorStore } from './types.js';

/** Elasticsearch when asked for, or (auto) when a URL or Cloud ID is configured; else the embedded store. */
export function storeBackend(config: Config): VectorStore['backend'] {
  if (config.LOOKALIKE_STORE !== 'auto') return config.LOOKALIKE_STORE;
  return config.ELASTICSEARCH_URL || config.ELASTICSEARCH_CLOUD_ID ? 'elasticsearch' : 'embedded';
}

/** Opens the configured store. Each backend is imported on demand, so the embedded path never loads the ES client. */
export async function openStore(config: Config): Promise<VectorStore> {
  if (storeBackend(config) === 'elasticsearch') {
    const { createElasticsearchStore } = await import('./elasticsearch/index.js');
    return createElasticsearchStore(config);
  }
  const { createEmbeddedStore } = await import('./embedded/index.js');
  return createEmbeddedStore({
    dataDir: config.LOOKALIKE_DATA_DIR,
    index: config.LOOKALIKE_INDEX,
    threads: config.LOOKALIKE_THREADS,
  });
}
