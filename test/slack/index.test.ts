import { describe, expect, it } from 'vitest';
import { createSlackAdapter } from '../../adapters/slack/index.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/util/log.js';
import { httpTransport, sign, socketTransport } from './fake-slack/requests.js';
import { appToken, botToken, people, signingSecret, slackHarnessForFile, slackNow } from './harness.js';

const h = slackHarnessForFile();

const logger = createLogger({}, () => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('HTTP mode: request verification by the receiver', () => {
  const refused = async (transport: ReturnType<typeof httpTransport>) => {
    const before = h.fake.calls.length;
    const delivery = await h.as(people.alice, transport).command(h.channels.general.id, '/find', 'cats');
    await sleep(300);
    expect(delivery.status).toBe(401);
    // Nothing ran: no Web API call, no answer of any kind.
    expect(h.fake.calls.slice(before)).toEqual([]);
  };

  it('rejects a wrong signature with 401 and runs nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(
      httpTransport(h.requestUrl, signingSecret, { signature: sign('another-secret', now, 'x') }),
    );
    await refused(httpTransport(h.requestUrl, 'another-signing-secret'));
  });

  it('rejects a correctly signed request older than 5 minutes (replay) with 401', async () => {
    await refused(
      httpTransport(h.requestUrl, signingSecret, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }),
    );
  });

  it('accepts a correctly signed request', async () => {
    const delivery = await h.as(people.alice).command(h.channels.general.id, '/lookalike', 'help');
    expect(delivery.status).toBe(200);
    const note = await h.fake.waitForEphemeral(people.alice.id);
    expect(note.text).toContain('/find');
    expect(note.text).toContain('/lookalike status');
  });
});

describe('settings', () => {
  it('names each missing setting of the chosen mode', () => {
    const bot = h.bot;
    const attempt = (env: Record<string, string>) => () =>
      createSlackAdapter({ bot, config: parseConfig(env), logger });
    expect(attempt({ SLACK_BOT_TOKEN: botToken })).toThrow(ConfigError);
    expect(attempt({ SLACK_BOT_TOKEN: botToken })).toThrow(/SLACK_APP_TOKEN/);
    expect(attempt({ SLACK_BOT_TOKEN: botToken, SLACK_MODE: 'http' })).toThrow(/SLACK_SIGNING_SECRET/);
    expect(attempt({ SLACK_MODE: 'http', SLACK_SIGNING_SECRET: signingSecret })).toThrow(/SLACK_BOT_TOKEN/);
  });

  it('reports a bot token Slack refuses as a configuration error at start', async () => {
    const config = parseConfig({
      SLACK_BOT_TOKEN: 'xoxb-revoked-token',
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_MODE: 'http',
      SLACK_API_URL: h.fake.apiUrl,
    });
    const adapter = createSlackAdapter({
      bot: h.bot,
      config,
      logger,
      listen: { port: 0, host: '127.0.0.1' },
    });
    await expect(adapter.start()).rejects.toThrow(/SLACK_BOT_TOKEN: Slack refused it \(invalid_auth\)/);
  });
});

describe('Socket Mode', () => {
  it('connects with the app token, acknowledges each envelope and answers in the channel', async () => {
    const config = parseConfig({
      SLACK_BOT_TOKEN: botToken,
      SLACK_APP_TOKEN: appToken,
      SLACK_API_URL: h.fake.apiUrl,
      ...h.fake.files.env,
    });
    const adapter = createSlackAdapter({ bot: h.bot, config, logger });
    await adapter.start();
    try {
      await h.fake.socket.whenConnected();
      const opened = h.fake.callsOf('apps.connections.open').at(-1);
      expect(opened?.headers.authorization).toBe(`Bearer ${appToken}`);
      const since = slackNow();
      const delivery = await h
        .as(people.bob, socketTransport(h.fake))
        .command(h.channels.general.id, '/find', 'harbour count:2');
      expect(delivery.ms).toBeLessThan(3000);
      const sheet = await h.fake.waitForMessage(
        (m) => m.via === 'files.completeUploadExternal' && Number(m.ts) > since,
      );
      expect(sheet.channel).toBe(h.channels.general.id);
      const results = h.fake
        .botMessages(h.channels.general.id)
        .filter((m) => Number(m.ts) > since && m.blocks);
      expect(JSON.stringify(results[0]?.blocks)).toContain(`asked by <@${people.bob.id}>`);
    } finally {
      await adapter.stop();
    }
  });
});
