import { defineConfig } from 'vitest/config';

// The fault tests (npm run test:cluster): a real 3-node cluster whose nodes the tests kill and restart,
// so the files run one after another, never beside the single-node suites.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/setup/cluster.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
