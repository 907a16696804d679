import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The cluster fault tests kill nodes of their own cluster: npm run test:cluster (vitest.cluster.config.ts).
    exclude: [...configDefaults.exclude, 'test/cluster/**'],
    globalSetup: ['test/setup/tls.ts', 'test/setup/elasticsearch.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Native sessions (onnxruntime, sqlite) are safest in separate processes.
    pool: 'forks',
  },
});
