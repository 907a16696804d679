// /readyz follows the real Elasticsearch: this test starts a node of its own (scripts/elasticsearch, on the
// suite's ES_PORT + 1000, sharing the suite's build cache), runs `lookalike start` against it, stops the node
// and starts it again, and watches /readyz flip to 503 naming the store, then back to 200.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/bot.js';
import { isolatedEnv, startCli, stopCli, waitForOutput, type RunningCli } from '../helpers/cli.js';
import { opsUrl } from './prometheus.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const suiteWorkDir = process.env.ES_WORK_DIR ?? '/tmp/lookalike-es';
const node = {
  ES_PORT: String(Number(process.env.ES_PORT ?? 9200) + 1000),
  ES_WORK_DIR: `${suiteWorkDir}-readyz`,
  ES_CACHE_DIR: path.join(suiteWorkDir, 'cache'),
  ES_HEAP: '512m',
};
const script = (name: 'start' | 'stop') =>
  run('bash', [path.join(root, `scripts/elasticsearch/${name}.sh`)], {
    env: { ...process.env, ...node },
    timeout: 300_000,
  });

interface Readiness {
  status: number;
  body: { ready: boolean; parts: Record<string, { ready: boolean; state: string; detail?: string }> };
}

async function readyz(base: string): Promise<Readiness> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

/** Polls /readyz until it answers `status` (every 250 ms, up to `timeoutMs`). */
async function until(base: string, status: number, timeoutMs = 60_000): Promise<Readiness> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await readyz(base);
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('/readyz and a real Elasticsearch that stops and comes back', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let bot: RunningCli;
  let base: string;

  beforeAll(async () => {
    await script('start');
    data = await tempDir();
    bot = startCli(
      ['start'],
      isolatedEnv(data.dir, {
        LOOKALIKE_STORE: 'elasticsearch',
        ELASTICSEARCH_URL: `http://127.0.0.1:${node.ES_PORT}`,
        LOOKALIKE_HTTP_PORT: '0',
      }),
      10 * 60_000,
    );
    await waitForOutput(bot, /"msg":"starting lookalike on console"/, 120_000);
    base = opsUrl(bot);
  }, 400_000);
  afterAll(async () => {
    if (bot) await stopCli(bot);
    await script('stop');
    await data?.remove();
  }, 120_000);

  it('is ready, flips to 503 naming the store while the node is down, and back when it returns', async () => {
    const before = await until(base, 200);
    expect(before.status).toBe(200);
    expect(before.body.parts.store).toMatchObject({ ready: true, state: 'reachable' });

    await script('stop');
    const down = await until(base, 503);
    expect(down.status).toBe(503);
    expect(down.body.ready).toBe(false);
    expect(down.body.parts.store).toMatchObject({ ready: false, state: 'unreachable' });
    expect(down.body.parts.model).toMatchObject({ ready: true });
    // A scrape still answers while the store is down.
    const scraped = await fetch(`${base}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^# TYPE lookalike_commands_total counter$/m);

    await script('start');
    const back = await until(base, 200, 120_000);
    expect(back.status).toBe(200);
    expect(back.body.parts.store).toMatchObject({ ready: true });
  }, 400_000);
});
