import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first: a folder may import the ones before it, never the ones after (so no
 * import cycle can form between folders).
 */
const srcLayers = [
  'config',
  'util',
  'net',
  'model',
  'ocr',
  'store',
  'ops',
  'sources',
  'indexer',
  'search',
  'render',
  'bot',
  'cli',
];
const platforms = ['console', 'discord', 'slack'];

const forbid = (files, groups, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }] },
});

const layerRules = [
  // The core knows no chat platform and no command; nothing shipped imports tests or scripts.
  ...srcLayers.map((layer, i) =>
    forbid(
      [`src/${layer}/**/*.ts`],
      [
        ...srcLayers.slice(i + 1).map((higher) => `**/${higher}/**`),
        '**/adapters/**',
        '**/commands/**',
        '**/scripts/**',
        '**/test/**',
      ],
      `src/${layer} sits below that folder (README, "How a request travels"): move the shared part down instead`,
    ),
  ),
  forbid(
    ['commands/**/*.ts'],
    ['**/adapters/**', '**/scripts/**', '**/test/**'],
    'commands are platform-neutral: they use src/ only',
  ),
  ...platforms.map((platform) =>
    forbid(
      [`adapters/${platform}/**/*.ts`],
      [...platforms.filter((p) => p !== platform).map((p) => `**/${p}/**`), '**/scripts/**', '**/test/**'],
      `adapters/${platform} may use src/, commands/ and adapters/shared, not another platform`,
    ),
  ),
  forbid(
    ['adapters/shared/**/*.ts'],
    [...platforms.map((p) => `**/${p}/**`), '**/scripts/**', '**/test/**'],
    'adapters/shared serves every platform and depends on none',
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'bench/**', 'test/fixtures/**', '.venv/**', 'tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
);
