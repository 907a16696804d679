// /readyz follows the platform connections of `lookalike start` (a child process configured by environment):
// the fake Discord gateway and the fake Slack Socket Mode server cut the connection and refuse reconnects for a
// while, as an outage or a network cut does. /readyz turns 503 naming the platform that is not ready (the
// store stays ready), the log says why, and once the fake accepts connections again /readyz is 200 and the
// reconnect is counted in /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/bot.js';
import { stopCli, waitForOutput, type RunningCli } from '../helpers/cli.js';
import { FakeDiscord } from '../discord/fake-discord/index.js';
import { discordEnv, fakeGuild, token } from '../discord/harness.js';
import { FakeSlack } from '../slack/fake-slack/index.js';
import { appToken, botToken, team } from '../slack/harness.js';
import { scrape, startWithOps, valueOf } from './prometheus.js';

interface Readiness {
  status: number;
  body: { ready: boolean; parts: Record<string, { ready: boolean; state: string; detail?: string }> };
}

async function readyz(base: string): Promise<Readiness> {
  const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

/** Polls /readyz every 100 ms until it answers `status` (or `timeoutMs` passed: the last answer). */
async function until(base: string, status: number, timeoutMs = 30_000): Promise<Readiness> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await readyz(base);
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The reasons given by the bot's log lines whose message matches `msg`. */
const reasons = (run: RunningCli, msg: RegExp) =>
  run
    .output()
    .stderr.split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; reason?: string })
    .filter((l) => msg.test(l.msg ?? ''))
    .map((l) => l.reason);

let data: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => (data = await tempDir()));
afterAll(async () => data?.remove());

describe('/readyz and the Discord gateway dropping and coming back', () => {
  const guild = fakeGuild('Readiness club');
  let fake: FakeDiscord;
  let bot: RunningCli;
  let base: string;

  beforeAll(async () => {
    fake = await FakeDiscord.start({ token, guilds: [guild], heartbeatIntervalMs: 1000 });
    ({ bot, base } = await startWithOps(
      data.dir,
      discordEnv(fake, guild.roles[1]!.id),
      /discord: connected/,
    ));
  }, 120_000);
  afterAll(async () => {
    if (bot) await stopCli(bot);
    await fake?.close();
  });

  it('turns 503 naming discord while the gateway is gone, and 200 again after the reconnect', async () => {
    const before = await until(base, 200);
    expect(before.status).toBe(200);
    expect(before.body.parts.discord).toMatchObject({ ready: true, state: 'connected' });
    const reconnects = valueOf(await scrape(base), 'lookalike_platform_reconnects_total', {
      platform: 'discord',
    });

    fake.dropGateway();
    const down = await until(base, 503);
    expect(down.status).toBe(503);
    expect(down.body.ready).toBe(false);
    expect(down.body.parts.discord?.ready).toBe(false);
    expect(['disconnected', 'reconnecting']).toContain(down.body.parts.discord?.state);
    expect(down.body.parts.store).toMatchObject({ ready: true });
    expect(down.body.parts.model).toMatchObject({ ready: true });
    await waitForOutput(bot, /"msg":"discord gateway: disconnected"/, 10_000);
    expect(reasons(bot, /^discord gateway: disconnected$/)).toContainEqual(
      expect.stringMatching(/gateway closed \(\d+/),
    );

    // Still down a few seconds later: the failed reconnects keep it not ready.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await readyz(base)).body.parts.discord?.ready).toBe(false);

    fake.restoreGateway();
    const back = await until(base, 200, 60_000);
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(['connected', 'resumed']).toContain(back.body.parts.discord?.state);
    expect(
      valueOf(await scrape(base), 'lookalike_platform_reconnects_total', { platform: 'discord' }),
    ).toBeGreaterThan(reconnects);
  }, 120_000);

  it('stops cleanly on SIGTERM while the gateway is gone', async () => {
    // The reconnect attempts are held open: SIGTERM arrives while one is still being opened, and its refusal
    // comes once the bot has let go of the gateway, while the rest of the bot is still stopping.
    fake.dropGateway({ holdRefusals: true });
    await until(base, 503);
    while (fake.heldGatewayRefusals === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    bot.child.kill('SIGTERM');
    await waitForOutput(bot, /"msg":"discord gateway: stopped"/, 10_000);
    fake.releaseGatewayRefusals();
    const result = await bot.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/"msg":"stopped"/);
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
  }, 60_000);
});

describe('/readyz and the Slack Socket Mode connection dropping and coming back', () => {
  let fake: FakeSlack;
  let bot: RunningCli;
  let base: string;

  beforeAll(async () => {
    fake = await FakeSlack.start({ botToken, appToken, teams: [team], channels: [] });
    ({ bot, base } = await startWithOps(
      data.dir,
      {
        SLACK_BOT_TOKEN: botToken,
        SLACK_APP_TOKEN: appToken,
        SLACK_API_URL: fake.apiUrl,
        ...fake.files.env,
      },
      /Slack bot connected/,
    ));
    await fake.socket.whenConnected();
  }, 120_000);
  afterAll(async () => {
    if (bot) await stopCli(bot);
    await fake?.close();
  });

  it('turns 503 naming slack while the socket is gone, and 200 again after the reconnect', async () => {
    const before = await until(base, 200);
    expect(before.status).toBe(200);
    expect(before.body.parts.slack).toMatchObject({ ready: true, state: 'connected' });
    const reconnects = valueOf(await scrape(base), 'lookalike_platform_reconnects_total', {
      platform: 'slack',
    });

    fake.socket.drop();
    const down = await until(base, 503);
    expect(down.status).toBe(503);
    expect(down.body.parts.slack?.ready).toBe(false);
    expect(['disconnected', 'reconnecting', 'connecting']).toContain(down.body.parts.slack?.state);
    expect(down.body.parts.store).toMatchObject({ ready: true });
    await waitForOutput(bot, /"msg":"slack connection: disconnected"/, 10_000);
    expect(reasons(bot, /^slack connection: disconnected$/)).toContainEqual(expect.any(String));

    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await readyz(base)).body.parts.slack?.ready).toBe(false);

    fake.socket.restore();
    const back = await until(base, 200, 60_000);
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.parts.slack).toMatchObject({ ready: true, state: 'connected' });
    expect(
      valueOf(await scrape(base), 'lookalike_platform_reconnects_total', { platform: 'slack' }),
    ).toBeGreaterThan(reconnects);
  }, 120_000);

  it('stops cleanly on SIGTERM while the socket is gone', async () => {
    fake.socket.drop();
    await until(base, 503);
    // The client waits 5 s before its first reconnect, which fails: stop once that attempt is left pending.
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    const result = await stopCli(bot);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/"msg":"stopped"/);
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
  }, 60_000);
});
