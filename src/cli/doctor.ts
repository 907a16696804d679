import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import sharp from 'sharp';
import { request } from 'undici';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { configuredModel } from '../model/configured.js';
import { openEmbedder } from '../model/index.js';
import type { Embedder } from '../model/types.js';
import { httpAgent } from '../net/http-agent.js';
import { openStore } from '../store/open.js';
import { redactor } from '../util/redact.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** `lookalike doctor`: one line per check, a fix for each failure; non-zero exit when a configured part lacks something. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check the configuration, model, store, data folder and the configured chat platforms')
    .option('--json', 'print {"ok":bool,"checks":[{name, ok, detail, fix}]}')
    .action(async (flags: { json?: boolean }) => {
      const checks = await runChecks();
      const ok = checks.every((c) => c.ok);
      const redact = redactor({ ...process.env });
      if (flags.json) {
        process.stdout.write(`${redact(JSON.stringify({ ok, checks }))}\n`);
      } else {
        const lines = checks.map(
          (c) =>
            `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}${c.ok || !c.fix ? '' : `\n       fix: ${c.fix}`}`,
        );
        process.stdout.write(`${redact(lines.join('\n'))}\n`);
      }
      if (!ok) process.exitCode = 1;
    });
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function runChecks(): Promise<Check[]> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems.map((p) => `${p.key}: ${p.message}`) : [];
    return [
      {
        name: 'configuration',
        ok: false,
        detail: problems.join('; ') || errorText(error),
        fix: 'correct the named settings in .env or the environment (.env.example lists every key)',
      },
    ];
  }
  const checks: Check[] = [{ name: 'configuration', ok: true, detail: 'valid' }];
  checks.push(await dataDirCheck(config));
  const model = await modelChecks(config);
  checks.push(...model.checks);
  checks.push(...(await storeChecks(config, model.embedder)));
  await model.embedder?.close();
  if (config.DISCORD_TOKEN) checks.push(...(await discordChecks(config)));
  if (config.SLACK_BOT_TOKEN) checks.push(...(await slackChecks(config)));
  return checks;
}

async function dataDirCheck(config: Config): Promise<Check> {
  const dir = config.LOOKALIKE_DATA_DIR;
  try {
    await mkdir(dir, { recursive: true });
    const probe = path.join(dir, `.doctor-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe);
    const fs = await statfs(dir);
    const free = (fs.bavail * fs.bsize) / 2 ** 30;
    return {
      name: 'data folder',
      ok: free >= 1,
      detail: `${dir} is writable, ${free.toFixed(1)} GiB free`,
      ...(free < 1 && {
        fix: `free space under ${dir} (LOOKALIKE_DATA_DIR): the store and sheets grow there`,
      }),
    };
  } catch (error) {
    return {
      name: 'data folder',
      ok: false,
      detail: `${dir}: ${errorText(error)}`,
      fix: 'point LOOKALIKE_DATA_DIR at a folder this user can write',
    };
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The model folders' files, each hashed, and the model loaded and run once on a text (a corrupt graph fails here). */
async function modelChecks(config: Config): Promise<{ checks: Check[]; embedder?: Embedder }> {
  const { dir } = configuredModel(config);
  const fix = config.LOOKALIKE_MODEL_DIR
    ? 'check LOOKALIKE_MODEL_DIR, or fetch the model again (`lookalike models fetch --dir <folder>`)'
    : 'run `lookalike models fetch` (it resumes and verifies checksums)';
  const checks: Check[] = [];
  try {
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter(
      (e) => e.isFile() && /\.(onnx|json)$/.test(e.name),
    );
    const sums = await Promise.all(
      files.map(async (e) => `${e.name} ${(await sha256(path.join(e.parentPath, e.name))).slice(0, 12)}`),
    );
    checks.push({
      name: 'model files',
      ok: files.length > 0,
      detail: `${dir}: ${sums.join(', ') || 'no files'}`,
      fix,
    });
  } catch (error) {
    return { checks: [{ name: 'model files', ok: false, detail: `${dir}: ${errorText(error)}`, fix }] };
  }
  let embedder: Embedder | undefined;
  try {
    embedder = await openEmbedder(config);
    const image = await sharp({
      create: { width: 64, height: 48, channels: 3, background: { r: 120, g: 90, b: 60 } },
    })
      .png()
      .toBuffer();
    const [text] = await embedder.embedTexts(['a photo of a cat']);
    const [picture] = await embedder.embedImages([{ name: 'doctor.png', bytes: image }]);
    for (const outcome of [text, picture]) {
      if (!(outcome instanceof Float32Array)) throw outcome ?? new Error('the model gave no vector');
    }
    checks.push({
      name: 'model',
      ok: true,
      detail: `${embedder.modelId} loads and embeds a text and an image (${embedder.dims} dims)`,
    });
    return { checks, embedder };
  } catch (error) {
    await embedder?.close().catch(() => undefined);
    checks.push({ name: 'model', ok: false, detail: errorText(error), fix });
    return { checks };
  }
}

/** What to change when the store cannot be opened: the credentials, the CA, or the address, as the failure says. */
function storeFix(config: Config, error: unknown): string {
  if (!config.ELASTICSEARCH_URL && !config.ELASTICSEARCH_CLOUD_ID) return 'check LOOKALIKE_DATA_DIR';
  const cause = (error as { cause?: { statusCode?: number; message?: string } }).cause;
  if (cause?.statusCode === 401) {
    if (config.ELASTICSEARCH_API_KEY) {
      return 'ELASTICSEARCH_API_KEY was refused: create a new API key (Kibana › Stack Management › API keys) and set it';
    }
    if (config.ELASTICSEARCH_USERNAME) {
      return 'ELASTICSEARCH_USERNAME / ELASTICSEARCH_PASSWORD were refused: correct them, or use ELASTICSEARCH_API_KEY';
    }
    return 'the cluster has security on: set ELASTICSEARCH_API_KEY (or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD)';
  }
  if (cause?.statusCode === 403) {
    return 'give the API key or user of ELASTICSEARCH_API_KEY / ELASTICSEARCH_USERNAME the index privileges on the lookalike indices';
  }
  if (/certificate|self[- ]signed|SSL|TLS/i.test(cause?.message ?? '')) {
    return "set ELASTICSEARCH_CA_CERT to the CA that signed the cluster's certificate (ELASTICSEARCH_TLS_VERIFY=false only for a test cluster)";
  }
  return 'start Elasticsearch, or correct ELASTICSEARCH_URL / ELASTICSEARCH_CLOUD_ID';
}

async function storeChecks(config: Config, embedder: Embedder | undefined): Promise<Check[]> {
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    store = await openStore(config);
    const stats = await store.stats();
    const version = stats.details.serverVersion ? ` ${String(stats.details.serverVersion)}` : '';
    const checks: Check[] = [
      {
        name: 'store',
        ok: true,
        detail: `${stats.backend}${version}, index ${stats.index}, ${stats.count} images`,
      },
    ];
    if (stats.modelId && embedder && stats.modelId !== embedder.modelId) {
      checks.push({
        name: 'store model stamp',
        ok: false,
        detail: `the index was made by ${stats.modelId}; the configured model is ${embedder.modelId}`,
        fix: 'use the model the index was made with, or rebuild it: `lookalike index <source> --full`',
      });
    } else {
      checks.push({
        name: 'store model stamp',
        ok: true,
        detail: stats.modelId ?? 'no index yet (made at first start)',
      });
    }
    return checks;
  } catch (error) {
    return [{ name: 'store', ok: false, detail: errorText(error), fix: storeFix(config, error) }];
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/** One HTTP exchange with a deadline, through the configured proxy. */
async function call(
  config: Config,
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; json: unknown; headers: Record<string, string | string[] | undefined> }> {
  const response = await request(url, {
    method: init.method ?? 'GET',
    headers: init.headers ?? {},
    ...(init.body !== undefined && { body: init.body }),
    dispatcher: httpAgent(config),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, json, headers: response.headers };
}

async function discordChecks(config: Config): Promise<Check[]> {
  const api = `${(config.DISCORD_API_URL ?? 'https://discord.com/api').replace(/\/$/, '')}/v10`;
  const headers = { authorization: `Bot ${config.DISCORD_TOKEN}` };
  let me: { status: number; json: unknown };
  try {
    me = await call(config, `${api}/users/@me`, { headers });
  } catch (error) {
    return [
      {
        name: 'discord token',
        ok: false,
        detail: `Discord could not be reached at ${api}: ${errorText(error)}`,
        fix: 'check the network, HTTPS_PROXY, or DISCORD_API_URL',
      },
    ];
  }
  if (me.status === 401) {
    return [
      {
        name: 'discord token',
        ok: false,
        detail: 'Discord rejected DISCORD_TOKEN (401 Unauthorized)',
        fix: 'copy the bot token from the Developer Portal (Bot › Reset Token) into DISCORD_TOKEN',
      },
    ];
  }
  if (me.status !== 200) {
    return [{ name: 'discord token', ok: false, detail: `users/@me answered HTTP ${me.status}` }];
  }
  const user = me.json as { id?: string; username?: string };
  const checks: Check[] = [
    { name: 'discord token', ok: true, detail: `accepted (bot ${user.username ?? '?'})` },
  ];
  const appId = config.DISCORD_APPLICATION_ID ?? user.id;
  const scope = config.DISCORD_GUILD_ID ? `guilds/${config.DISCORD_GUILD_ID}/` : '';
  try {
    const { commands } = await import('../../commands/index.js');
    const { discordCommands } = await import('../../adapters/discord/registration.js');
    const wanted = discordCommands(commands.map((c) => c.spec)).map((c) => c.name);
    const registered = await call(config, `${api}/applications/${appId}/${scope}commands`, { headers });
    const names = Array.isArray(registered.json)
      ? (registered.json as { name: string }[]).map((c) => c.name)
      : [];
    const missing = wanted.filter((n) => !names.includes(n));
    checks.push({
      name: 'discord commands',
      ok: registered.status === 200 && missing.length === 0,
      detail:
        registered.status !== 200
          ? `listing them answered HTTP ${registered.status}`
          : missing.length === 0
            ? `${wanted.length} registered${scope ? ` in server ${config.DISCORD_GUILD_ID}` : ' globally'}`
            : `not registered: ${missing.join(', ')}`,
      fix: `npm run register-commands${scope ? '' : ' -- --global'}`,
    });
  } catch (error) {
    checks.push({ name: 'discord commands', ok: false, detail: errorText(error) });
  }
  return checks;
}

async function slackChecks(config: Config): Promise<Check[]> {
  const api = (config.SLACK_API_URL ?? 'https://slack.com/api/').replace(/\/?$/, '/');
  const checks: Check[] = [];
  const mode =
    config.SLACK_MODE === 'socket'
      ? config.SLACK_APP_TOKEN?.startsWith('xapp-')
        ? { ok: true, detail: 'Socket Mode, app-level token set' }
        : {
            ok: false,
            detail: 'Socket Mode needs SLACK_APP_TOKEN (xapp-...)',
            fix: 'generate an app-level token with connections:write',
          }
      : config.SLACK_SIGNING_SECRET
        ? { ok: true, detail: `HTTP mode on port ${config.SLACK_PORT}, signing secret set` }
        : {
            ok: false,
            detail: 'HTTP mode needs SLACK_SIGNING_SECRET',
            fix: 'copy the Signing Secret from Basic Information',
          };
  checks.push({ name: 'slack mode', ...mode });
  try {
    const auth = await call(config, `${api}auth.test`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${config.SLACK_BOT_TOKEN}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    });
    const body = auth.json as { ok?: boolean; error?: string; team?: string } | undefined;
    if (!body?.ok) {
      checks.push({
        name: 'slack token',
        ok: false,
        detail: `auth.test: ${body?.error ?? `HTTP ${auth.status}`}`,
        fix: 'copy the Bot User OAuth Token (xoxb-...) into SLACK_BOT_TOKEN',
      });
      return checks;
    }
    checks.push({ name: 'slack token', ok: true, detail: `accepted (workspace ${body.team ?? '?'})` });
    const { botScopes } = await import('../../adapters/slack/manifest.js');
    const header = auth.headers['x-oauth-scopes'];
    const granted = String(Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const missing = botScopes.filter((s) => !granted.includes(s));
    checks.push({
      name: 'slack scopes',
      ok: missing.length === 0,
      detail:
        missing.length === 0
          ? `all ${botScopes.length} scopes the manifest asks for`
          : `missing: ${missing.join(', ')}`,
      fix: 'update the app from manifest.yml and reinstall it to the workspace',
    });
  } catch (error) {
    checks.push({
      name: 'slack token',
      ok: false,
      detail: `Slack could not be reached at ${api}: ${errorText(error)}`,
      fix: 'check the network, HTTPS_PROXY, or SLACK_API_URL',
    });
  }
  return checks;
}
