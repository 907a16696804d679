import { createElasticsearchStore } from '../../src/store/elasticsearch/index.js';
import { describeStoreContract } from './contract.js';
import { adminClient, dropIndices, testConfig } from './elasticsearch-support.js';

// The shared VectorStore contract against a real Elasticsearch; each test gets its own alias.
describeStoreContract('elasticsearch', async () => {
  const config = testConfig();
  const alias = config.LOOKALIKE_INDEX;
  const client = adminClient();
  const store = await createElasticsearchStore(config);
  return {
    store,
    // Refreshing the pattern also covers a rebuild's index that is not behind the alias yet.
    settle: async () => {
      await client.indices.refresh({ index: `${alias}-*`, allow_no_indices: true });
    },
    cleanup: async () => {
      await store.close();
      await dropIndices(client, alias);
      await client.close();
    },
  };
});
