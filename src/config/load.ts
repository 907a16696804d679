import { statSync } from 'node:fs';
import { config as readDotenv } from 'dotenv';
import { configSchema, type Config } from './schema.js';
import { slackTokenProblems } from './slack-tokens.js';

export class ConfigError extends Error {
  constructor(readonly problems: { key: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment; a wrong value fails with the key named. Unknown LOOKALIKE_* keys are refused too.
 * An empty value (`KEY=`, as an uncommented `.env.example` line leaves it) means the default.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const known = new Set(Object.keys(configSchema.shape));
  const unknown = Object.keys(env)
    .filter((k) => k.startsWith('LOOKALIKE_') && !known.has(k))
    .map((key) => ({ key, message: 'unknown setting (check the spelling against .env.example)' }));
  const relevant = Object.fromEntries(Object.entries(env).filter(([k, v]) => known.has(k) && v !== ''));
  const result = configSchema.safeParse(relevant);
  const problems = [
    ...unknown,
    ...(result.success
      ? []
      : result.error.issues.map((i) => ({ key: String(i.path[0] ?? '?'), message: i.message }))),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const pathProblems = [
    ...checkFolders(result.data),
    ...checkPorts(result.data),
    ...slackTokenProblems(result.data),
  ];
  if (pathProblems.length > 0) throw new ConfigError(pathProblems);
  return result.data;
}

/** Folder settings that exist but are not folders (a file, say): named now, instead of a bare ENOTDIR later. */
function checkFolders(config: Config): { key: string; message: string }[] {
  const folders = ['LOOKALIKE_DATA_DIR', 'LOOKALIKE_CACHE_DIR'] as const;
  return folders.flatMap((key) => {
    const problem = folderProblem(config[key], { mustExist: false });
    return problem ? [{ key, message: problem }] : [];
  });
}

/** Slack's HTTP mode and the ops listener each need a port of their own. */
function checkPorts(config: Config): { key: string; message: string }[] {
  const slackListens = config.SLACK_MODE === 'http' && config.SLACK_BOT_TOKEN !== undefined;
  if (
    slackListens &&
    config.LOOKALIKE_HTTP_PORT !== undefined &&
    config.LOOKALIKE_HTTP_PORT === config.SLACK_PORT
  ) {
    return [
      {
        key: 'LOOKALIKE_HTTP_PORT',
        message: `${config.LOOKALIKE_HTTP_PORT} is also SLACK_PORT, where Slack's requests arrive in HTTP mode: choose another port`,
      },
    ];
  }
  return [];
}

/** Why `dir` cannot serve as a folder setting, or undefined when it can. */
export function folderProblem(dir: string, options: { mustExist: boolean }): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a folder`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return options.mustExist ? `${dir} does not exist` : undefined;
    if (code === 'ENOTDIR') return `${dir} is inside a file, not a folder`;
    return `${dir} cannot be read (${code ?? String(error)})`;
  }
  return undefined;
}

/**
 * The model folders a command is about to load, checked with their keys named (LOOKALIKE_MODEL_DIR and
 * LOOKALIKE_TEXT_MODEL_DIR would otherwise fail alike with "model folder not found").
 */
export function checkModelFolders(config: Config): void {
  const keys = ['LOOKALIKE_MODEL_DIR', 'LOOKALIKE_TEXT_MODEL_DIR'] as const;
  const problems = keys.flatMap((key) => {
    const dir = config[key];
    const problem = dir === undefined ? undefined : folderProblem(dir, { mustExist: true });
    return problem ? [{ key, message: `${problem} (a model folder is expected here)` }] : [];
  });
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Reads `.env` (when present) under the real environment, then validates. */
export function loadConfig(options: { dotenvPath?: string } = {}): Config {
  const env: Record<string, string | undefined> = { ...process.env };
  readDotenv({ path: options.dotenvPath ?? '.env', processEnv: env, quiet: true });
  return parseConfig(env);
}
