// The ops listener as operators use it: `lookalike start` in a child process with LOOKALIKE_HTTP_PORT, its
// /healthz, /readyz and /metrics read over HTTP, /metrics parsed with a Prometheus text-format parser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoFolder, tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli, startCli, stopCli, waitForOutput, type RunningCli } from '../helpers/cli.js';
import { FakeSlack } from '../slack/fake-slack/index.js';
import { botToken, signingSecret, team } from '../slack/harness.js';
import { opsUrl, scrape, valueOf } from './prometheus.js';

describe('the ops listener of `lookalike start`', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let photos: Awaited<ReturnType<typeof photoFolder>>;
  let bot: RunningCli;
  let base: string;

  beforeAll(async () => {
    data = await tempDir();
    photos = await photoFolder();
    const env = isolatedEnv(data.dir, { LOOKALIKE_HTTP_PORT: '0' });
    const indexed = await runCli(['index', photos.dir], env);
    expect(indexed.code, indexed.stderr).toBe(0);
    bot = startCli(['start'], env, 5 * 60_000);
    await waitForOutput(bot, /"msg":"ops listener ready"/);
    base = opsUrl(bot);
  }, 180_000);
  afterAll(async () => {
    if (bot) await stopCli(bot);
    await photos?.remove();
    await data?.remove();
  });

  it('is off unless LOOKALIKE_HTTP_PORT is set, and on 127.0.0.1 when it is', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers /healthz and /readyz with each part', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    const body = (await ready.json()) as {
      ready: boolean;
      parts: Record<string, { ready: boolean; state: string }>;
    };
    expect(ready.status).toBe(200);
    expect(body.ready).toBe(true);
    expect(body.parts.model).toMatchObject({ ready: true, state: 'loaded' });
    expect(body.parts.store).toMatchObject({ ready: true, state: 'reachable' });
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });

  it('counts commands by platform, command and outcome, and times embedding, kNN and replies', async () => {
    const before = await scrape(base);
    const labels = { platform: 'console', command: 'find', outcome: 'ok' };
    const found = valueOf(before, 'lookalike_commands_total', labels);
    const texts = valueOf(before, 'lookalike_text_embedding_seconds_count');
    const knn = valueOf(before, 'lookalike_knn_seconds_count');
    bot.child.stdin.write('/find a cat\n');
    await waitForOutput(bot, /photo-cat\.jpg/);
    bot.child.stdin.write('/find a cup of coffee\n/nosuchcommand\n');
    await waitForOutput(bot, /Unknown command \/nosuchcommand/);
    const after = await scrape(base);
    expect(valueOf(after, 'lookalike_commands_total', labels)).toBe(found + 2);
    expect(
      valueOf(after, 'lookalike_commands_total', {
        platform: 'console',
        command: 'unknown',
        outcome: 'refused',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'lookalike_text_embedding_seconds_count')).toBeGreaterThanOrEqual(texts + 1);
    expect(valueOf(after, 'lookalike_knn_seconds_count')).toBe(knn + 2);
    expect(
      valueOf(after, 'lookalike_reply_seconds_count', { platform: 'console', command: 'find' }),
    ).toBeGreaterThanOrEqual(2);
    for (const name of [
      'lookalike_image_embedding_seconds',
      'lookalike_inference_queue_depth',
      'lookalike_inference_batch_size',
      'lookalike_rejected_requests_total',
      'lookalike_store_errors_total',
      'lookalike_platform_reconnects_total',
      'lookalike_index_jobs_running',
      'lookalike_indexed_images_total',
      'lookalike_index_images_per_second',
    ]) {
      expect(after.types.has(name), name).toBe(true);
    }
  });

  it('writes JSON log lines with request ids carried from the command to its reply', () => {
    const lines = bot
      .output()
      .stderr.split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const handled = lines.filter((l) => l.msg === 'command handled');
    expect(handled.length).toBeGreaterThanOrEqual(3);
    for (const line of handled) {
      expect(line).toMatchObject({ level: 'info', platform: 'console', requestId: expect.any(String) });
    }
    expect(new Set(handled.map((l) => l.requestId)).size).toBe(handled.length);
  });

  it('stops cleanly on SIGTERM: exit 0, everything closed', async () => {
    const result = await stopCli(bot);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/"msg":"shutting down \(SIGTERM\)"/);
    expect(result.stderr).toMatch(/"msg":"stopped"/);
  });
});

describe('ops listener settings', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => (data = await tempDir()));
  afterAll(async () => data?.remove());

  it('names the port when it is taken, and refuses the Slack HTTP port', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as { port: number }).port);
    try {
      const busy = await runCli(['start'], isolatedEnv(data.dir, { LOOKALIKE_HTTP_PORT: port }));
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain(`LOOKALIKE_HTTP_PORT: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      taken.close();
    }
    const clash = await runCli(
      ['start'],
      isolatedEnv(data.dir, {
        LOOKALIKE_HTTP_PORT: '3000',
        SLACK_MODE: 'http',
        SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
        SLACK_SIGNING_SECRET: 'signing-secret-value',
      }),
    );
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('LOOKALIKE_HTTP_PORT: 3000 is also SLACK_PORT');
  });

  it('names SLACK_PORT when the port for Slack requests (HTTP mode) is taken', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const port = String((taken.address() as { port: number }).port);
    const slack = await FakeSlack.start({ botToken, teams: [team], channels: [] });
    try {
      const busy = await runCli(
        ['start'],
        isolatedEnv(data.dir, {
          LOOKALIKE_HTTP_PORT: '0',
          SLACK_MODE: 'http',
          SLACK_PORT: port,
          SLACK_BOT_TOKEN: botToken,
          SLACK_SIGNING_SECRET: signingSecret,
          SLACK_API_URL: slack.apiUrl,
        }),
      );
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain(`SLACK_PORT: port ${port} is already in use`);
    } finally {
      taken.close();
      await slack.close();
    }
  });
});
