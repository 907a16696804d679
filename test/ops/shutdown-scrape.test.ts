// Scrapes while `lookalike start` shuts down (SIGTERM from a service manager) with a reply still in flight: the
// fake Discord holds the reply's edit back with a rate limit, so the shutdown waits for it. Meanwhile /metrics
// answers the last metrics, /readyz answers 503 "shutting down", a Prometheus-style keep-alive connection does
// not hold the exit up, the reply is delivered, the process exits 0, and a scrape after the exit is refused
// at once rather than left hanging.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { tempDir } from '../helpers/bot.js';
import { stopCli, waitForOutput, type RunningCli } from '../helpers/cli.js';
import { FakeDiscord } from '../discord/fake-discord/index.js';
import { chatInput } from '../discord/fake-discord/payloads.js';
import { discordEnv, fakeGuild, people, token } from '../discord/harness.js';
import { parseExposition, startWithOps } from './prometheus.js';

const guild = fakeGuild('Shutdown club');
let fake: FakeDiscord;
let data: Awaited<ReturnType<typeof tempDir>>;
let bot: RunningCli;
let base: string;
// One keep-alive connection for every scrape, as Prometheus keeps one per target.
const scraper = new Agent({ connections: 1, keepAliveTimeout: 60_000 });

beforeAll(async () => {
  fake = await FakeDiscord.start({ token, guilds: [guild], heartbeatIntervalMs: 1000 });
  data = await tempDir();
  ({ bot, base } = await startWithOps(data.dir, discordEnv(fake, guild.roles[1]!.id), /discord: connected/));
}, 120_000);
afterAll(async () => {
  if (bot) await stopCli(bot);
  await scraper.close();
  await fake?.close();
  await data?.remove();
});

const get = async (path: string) => {
  const response = await request(`${base}${path}`, {
    dispatcher: scraper,
    signal: AbortSignal.timeout(5_000),
  });
  return {
    status: response.statusCode,
    type: String(response.headers['content-type']),
    text: await response.body.text(),
  };
};

describe('a scrape during shutdown', () => {
  it('gets the last metrics and "shutting down", and holds nothing up', async () => {
    const alice = people(fake, guild, guild.roles[1]!.id).alice;
    const before = await get('/metrics');
    expect(before.status).toBe(200);

    // The reply's edit waits 4 s for Discord's rate limit: the reply is in flight when SIGTERM arrives.
    fake.rateLimitNext('PATCH', /\/messages\/@original$/, 4);
    const sent = fake.interact(chatInput(alice, 'find', { text: 'a cat' }));
    await fake.waitForCall((c) => c.path.includes(sent.token) && c.status === 429);
    bot.child.kill('SIGTERM');
    await waitForOutput(bot, /"msg":"shutting down \(SIGTERM\)"/, 5_000);

    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const exposition = parseExposition(metrics.text);
    expect(exposition.types.get('lookalike_commands_total')).toBe('counter');

    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({
      ready: false,
      parts: { process: { ready: false, state: 'shutting down' } },
    });
    expect((await get('/healthz')).status).toBe(200);
    expect(bot.child.exitCode).toBeNull(); // still finishing the reply

    const stoppedAt = Date.now();
    const result = await bot.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/"msg":"stopped"/);
    expect(result.stderr).not.toMatch(/shutdown deadline passed/);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    const edit = await fake.waitForCall(
      (c) => c.path.includes(sent.token) && c.method === 'PATCH' && c.status === 200,
    );
    // The reply in flight was delivered (nothing is indexed here, so it says how to index).
    expect((edit.body as { content?: string }).content).toMatch(/No images are indexed here yet/);

    // After the exit: refused at once, not left hanging.
    const started = Date.now();
    await expect(get('/metrics')).rejects.toThrow(/ECONNREFUSED|other side closed|socket/i);
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 120_000);
});
