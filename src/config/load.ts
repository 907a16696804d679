import { config as readDotenv } from 'dotenv';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: { key: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; a wrong value fails with the key named. Unknown LOOKALIKE_* keys are refused too. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const known = new Set(Object.keys(configSchema.shape));
  const unknown = Object.keys(env)
    .filter((k) => k.startsWith('LOOKALIKE_') && !known.has(k))
    .map((key) => ({ key, message: 'unknown setting (check the spelling against .env.example)' }));
  const relevant = Object.fromEntries(Object.entries(env).filter(([k]) => known.has(k)));
  const result = configSchema.safeParse(relevant);
  const problems = [
    ...unknown,
    ...(result.success
      ? []
      : result.error.issues.map((i) => ({ key: String(i.path[0] ?? '?'), message: i.message }))),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** Reads `.env` (when present) under the real environment, then validates. */
export function loadConfig(options: { dotenvPath?: string } = {}): Config {
  const env: Record<string, string | undefined> = { ...process.env };
  readDotenv({ path: options.dotenvPath ?? '.env', processEnv: env, quiet: true });
  return parseConfig(env);
}
