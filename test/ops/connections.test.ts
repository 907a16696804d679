// Platform connections as `lookalike start` reports them, against the local fake Discord and fake Slack:
// a rejected token or an unreachable gateway is one clear error within 10 s that stops the process, and
// the connection's life (connecting, connected, disconnected, resumed) is in the logs and in /readyz.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/bot.js';
import { isolatedEnv, startCli, stopCli, waitForOutput } from '../helpers/cli.js';
import { FakeDiscord } from '../discord/fake-discord/index.js';
import { discordEnv, fakeGuild, token } from '../discord/harness.js';
import { FakeSlack } from '../slack/fake-slack/index.js';
import { appToken, botToken, team } from '../slack/harness.js';
import { opsUrl } from './prometheus.js';

const guild = fakeGuild('Ops club');
let fake: FakeDiscord;
let data: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  fake = await FakeDiscord.start({ token, guilds: [guild], heartbeatIntervalMs: 1000 });
  data = await tempDir();
});
afterAll(async () => {
  await fake?.close();
  await data?.remove();
});

const env = (extra: Record<string, string> = {}) =>
  isolatedEnv(data.dir, { ...discordEnv(fake, guild.roles[1]!.id), ...extra });

/** The lines after "starting lookalike": what the connection attempt itself printed. */
const afterStart = (stderr: string) => stderr.slice(stderr.indexOf('starting lookalike'));

describe('Discord', () => {
  it('stops within 10 s with one clear error when the token is rejected (401)', async () => {
    const run = startCli(
      ['start'],
      env({ DISCORD_TOKEN: 'MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.Gabcde.wrong-token-wrong-token-wrong-tok' }),
    );
    await waitForOutput(run, /starting lookalike/);
    const started = Date.now();
    const result = await run.exited;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DISCORD_TOKEN: Discord rejected the token (401 Unauthorized)');
    expect(result.stderr).not.toContain('wrong-token-wrong-token');
    expect(afterStart(result.stderr).match(/rejected the token/g)).toHaveLength(1);
  });

  it('stops within 10 s naming the gateway when it cannot be reached', async () => {
    // Discord's REST answers, but the gateway it names does not (nothing listens on port 1).
    const rest: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          req.url?.startsWith('/api/v10/gateway')
            ? {
                url: 'ws://127.0.0.1:1',
                shards: 1,
                session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
              }
            : {},
        ),
      );
    });
    await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
    try {
      const api = `http://127.0.0.1:${(rest.address() as AddressInfo).port}/api`;
      const run = startCli(['start'], env({ DISCORD_API_URL: api }));
      await waitForOutput(run, /starting lookalike/);
      const started = Date.now();
      const result = await run.exited;
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(12_000);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `lookalike: could not connect to the Discord gateway (DISCORD_API_URL=${api}) within 10 s`,
      );
      expect(afterStart(result.stderr)).toMatch(/"msg":"discord gateway: connecting"/);
    } finally {
      rest.close();
    }
  });

  it('logs connecting and connected, and /readyz reports the platform', async () => {
    const run = startCli(['start'], env({ LOOKALIKE_HTTP_PORT: '0' }));
    try {
      await waitForOutput(run, /discord: connected/);
      const out = run.output().stderr;
      expect(out).toMatch(/"msg":"discord gateway: connecting"/);
      expect(out).toMatch(/"msg":"discord gateway: connected"/);
      const ready = await fetch(`${opsUrl(run)}/readyz`);
      const body = (await ready.json()) as {
        ready: boolean;
        parts: Record<string, { ready: boolean; state: string }>;
      };
      expect(ready.status).toBe(200);
      expect(body.parts.discord).toMatchObject({ ready: true, state: 'connected' });
    } finally {
      const result = await stopCli(run);
      expect(result.code).toBe(0);
    }
  });
});

describe('Slack', () => {
  it('stops within 10 s with one clear error naming SLACK_BOT_TOKEN when the token is refused', async () => {
    const run = startCli(
      ['start'],
      isolatedEnv(data.dir, {
        SLACK_BOT_TOKEN: 'xoxb-1111-2222-revokedtokenvalue',
        SLACK_APP_TOKEN: 'xapp-1-A0LOOKALIKE-apptokenvalue',
        SLACK_API_URL: `${await slackRefusing()}/api/`,
      }),
    );
    await waitForOutput(run, /starting lookalike/);
    const started = Date.now();
    const result = await run.exited;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SLACK_BOT_TOKEN: Slack refused it (invalid_auth)');
    expect(afterStart(result.stderr).match(/Slack refused it/g)).toHaveLength(1);
    expect(result.stderr).not.toContain('revokedtokenvalue');
  });

  it('stops within 10 s naming Socket Mode when its connection cannot be opened', async () => {
    // The Web API answers and hands out a Socket Mode address, but that address refuses every connection.
    const slack = await FakeSlack.start({ botToken, appToken, teams: [team], channels: [] });
    slack.socket.drop();
    try {
      const run = startCli(
        ['start'],
        isolatedEnv(data.dir, {
          SLACK_BOT_TOKEN: botToken,
          SLACK_APP_TOKEN: appToken,
          SLACK_API_URL: slack.apiUrl,
        }),
      );
      await waitForOutput(run, /starting lookalike/);
      const started = Date.now();
      const result = await run.exited;
      expect(Date.now() - started).toBeLessThan(12_000);
      expect(result.code).toBe(1);
      const error = `lookalike: could not open the Slack Socket Mode connection (SLACK_API_URL=${slack.apiUrl}) within 10 s`;
      expect(result.stderr).toContain(error);
      expect(afterStart(result.stderr).split(error)).toHaveLength(2);
      expect(afterStart(result.stderr)).toMatch(/"msg":"slack connection: connecting"/);
    } finally {
      await slack.close();
    }
  });
});

/** A Slack Web API that refuses every token, as Slack does for a revoked one. */
async function slackRefusing(): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, error: 'invalid_auth' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(() => void server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
