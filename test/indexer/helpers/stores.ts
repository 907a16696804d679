// Real stores for the indexer tests: the embedded one in a temporary data folder, and Elasticsearch
// (ELASTICSEARCH_URL, a fresh alias per store). Without ELASTICSEARCH_URL the Elasticsearch tests fail.
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { openStore } from '../../../src/store/open.js';
import type { VectorStore } from '../../../src/store/types.js';
import { tinyModelDir } from '../../helpers/bot.js';
import {
  adminClient,
  dropIndices,
  elasticsearchUrl,
  uniqueAlias,
} from '../../store/elasticsearch-support.js';

export type Backend = 'embedded' | 'elasticsearch';
export const backends: Backend[] = ['embedded', 'elasticsearch'];

export interface TestStore {
  backend: Backend;
  config: Config;
  store: VectorStore;
  /** Elasticsearch is near-real-time: makes what was written visible to scans (a no-op for the embedded store). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** The settings of a test run against `backend`, with the tiny model and data in `dataDir`. */
export function backendConfig(backend: Backend, dataDir: string, env: Record<string, string> = {}): Config {
  return parseConfig({
    LOOKALIKE_MODEL_DIR: tinyModelDir,
    LOOKALIKE_DATA_DIR: dataDir,
    LOOKALIKE_CACHE_DIR: `${dataDir}/cache`,
    LOOKALIKE_THREADS: '1',
    ...(backend === 'elasticsearch'
      ? {
          LOOKALIKE_STORE: 'elasticsearch',
          ELASTICSEARCH_URL: elasticsearchUrl(),
          LOOKALIKE_INDEX: uniqueAlias(),
        }
      : { LOOKALIKE_STORE: 'embedded' }),
    ...env,
  });
}

export async function openTestStore(
  backend: Backend,
  dataDir: string,
  config = backendConfig(backend, dataDir),
) {
  const store = await openStore(config);
  if (backend === 'embedded') {
    return {
      backend,
      config,
      store,
      refresh: async () => undefined,
      close: () => store.close(),
    } satisfies TestStore;
  }
  const client = adminClient();
  const alias = config.LOOKALIKE_INDEX;
  return {
    backend,
    config,
    store,
    refresh: async () => {
      await client.indices.refresh({ index: alias, ignore_unavailable: true, allow_no_indices: true });
    },
    close: async () => {
      await store.close();
      await dropIndices(client, alias);
      await client.close();
    },
  } satisfies TestStore;
}

/** One line per document of a slice, sorted: id, key, content and duplicates (what two runs must agree on). */
export async function sliceState(store: VectorStore, tenant: string, source: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const doc of store.scan(tenant, source)) {
    lines.push(
      `${doc.image_id} ${doc.relative_path ?? doc.url} ${doc.sha256.slice(0, 12)} [${(doc.other_paths ?? []).join(',')}]`,
    );
  }
  return lines.sort();
}
