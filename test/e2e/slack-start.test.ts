// The Slack bot as people run it: `lookalike start` in a child process, configured only by environment
// variables, against the fake Slack (Web API, Socket Mode, signed HTTP requests) and its file hosts reached over
// the network through a proxy. No test code runs inside the bot process.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { similarShortcut } from '../../adapters/slack/slash-commands.js';
import { fixtureImagesDir, photoFolder, tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli, startCli, stopCli, waitForOutput, type RunningCli } from '../helpers/cli.js';
import { FakeSlack, type Message } from '../slack/fake-slack/index.js';
import { httpTransport, SlackUser, socketTransport, type Person } from '../slack/fake-slack/requests.js';
import {
  adminGroup,
  appToken,
  blocksOf,
  botToken,
  hitSections,
  moreButton,
  people,
  ranks,
  signingSecret,
  slackNow,
  team,
  waitForResults,
  workspaceChannels,
} from '../slack/harness.js';

const cat = readFileSync(path.join(fixtureImagesDir, 'photo-cat.jpg'));

let fake: FakeSlack;
let env: NodeJS.ProcessEnv;
let bot: RunningCli;
let general: string;
const cleanups: (() => Promise<unknown>)[] = [];

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  fake = await FakeSlack.start({
    botToken,
    appToken,
    teams: [team],
    channels: [],
    usergroups: [{ id: adminGroup, teamId: team.id, users: [people.curator.id] }],
  });
  cleanups.push(() => fake.close());
  const channels = workspaceChannels(fake.botUserId);
  fake.options.channels.push(channels.general, channels.random);
  general = channels.general.id;

  const data = await tempDir();
  const photos = await photoFolder(['grayscale.jpg', 'cmyk.jpg', 'photo-coffee.webp', 'tiny-8x8.png']);
  cleanups.push(data.remove, photos.remove);
  env = isolatedEnv(data.dir, {
    SLACK_BOT_TOKEN: botToken,
    SLACK_APP_TOKEN: appToken,
    SLACK_API_URL: fake.apiUrl,
    SLACK_ADMIN_USER_IDS: people.admin.id,
    ...fake.files.env,
  });
  const indexed = await runCli(['index', photos.dir, '--tenant', team.id], env);
  expect(indexed.code, indexed.stderr).toBe(0);

  bot = startCli(['start'], env, 10 * 60_000);
  cleanups.push(() => stopCli(bot));
  await waitForOutput(bot, /Slack bot connected/);
  await fake.socket.whenConnected();
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A person sending through the bot's Socket Mode connection. */
const user = (who: Person) => new SlackUser(fake, socketTransport(fake), who);

describe('the Slack bot started with `lookalike start` (Socket Mode)', () => {
  let firstPage: Message;

  it('answers /find in the channel with the list, buttons and an uploaded contact sheet', async () => {
    const since = slackNow();
    const delivery = await user(people.alice).command(general, '/find', 'a cat count:3');
    expect(delivery.ms).toBeLessThan(3000);
    const { results, sheet } = await waitForResults(fake, general, since);
    expect(ranks(results)).toEqual([1, 2, 3]);
    expect(blocksOf(results)[0]?.text?.text).toBe('*Results 1–3 for “a cat”*');
    expect((sheet.files as { bytes: Buffer }[])[0]!.bytes.length).toBeGreaterThan(1000);
    firstPage = results;
  });

  it('keeps the numbers of a query: "/find iphone 15" searches for "iphone 15"', async () => {
    const since = slackNow();
    await user(people.bob).command(general, '/find', 'iphone 15');
    const { results } = await waitForResults(fake, general, since);
    expect(blocksOf(results)[0]?.text?.text).toBe('*Results 1–5 for “iphone 15”*');
  });

  it('pages with More', async () => {
    expect(moreButton(firstPage)).toBeDefined();
    const since = slackNow();
    await user(people.alice).click(firstPage, 'lookalike.more');
    const { results } = await waitForResults(fake, general, since);
    expect(ranks(results)).toEqual([4, 5, 6]);
  });

  it('answers "Similar to #1"', async () => {
    const since = slackNow();
    await user(people.alice).click(firstPage, 'lookalike.similar.1');
    const { results } = await waitForResults(fake, general, since);
    expect(hitSections(results)[0]!.text!.text).toMatch(/^\*#1\* {2}`1\.000`/);
  });

  it('answers the "Find similar images" shortcut, downloading the file from Slack through the proxy', async () => {
    const file = fake.addFile({ name: 'my-cat.jpg', bytes: cat, mimetype: 'image/jpeg' });
    const message = fake.userMessage(general, people.alice.id, 'look at this', [file]);
    const since = slackNow();
    await user(people.bob).shortcut(message, similarShortcut.callbackId);
    const { results } = await waitForResults(fake, general, since);
    expect(hitSections(results)[0]!.text!.text).toMatch(/^\*#1\* {2}`1\.000` {2}\*photo-cat\.jpg\*/);
    const download = fake.files.requestsTo('files.slack.com').at(-1);
    expect(download?.path).toContain(file.id);
    expect(download?.authorization).toBe(`Bearer ${botToken}`);
    expect(fake.files.proxy.tunnels).toContainEqual({ host: 'files.slack.com', port: 443, routed: true });
  });

  it('shows help with the commands as Slack invokes them', async () => {
    await user(people.curator).command(general, '/lookalike', 'help');
    const note = await fake.waitForEphemeral(people.curator.id);
    expect(note.text).toContain('/lookalike more');
    expect(note.text).toContain('/lookalike status');
    expect(note.text).toContain('/find');
  });

  it("runs an admin's /reindex to its report", async () => {
    const since = slackNow();
    await user(people.admin).command(general, '/reindex');
    const status = await fake.waitForMessage(
      (m) => m.channel === general && Number(m.ts) > since && /Indexed /.test(m.text ?? ''),
      60_000,
    );
    expect(status.text).toMatch(/8 unchanged/);
  });

  it('logged no failure', () => {
    const { stdout, stderr } = bot.output();
    expect(`${stdout}\n${stderr}`).not.toMatch(/ error |went wrong/i);
  });
});

describe('the Slack bot in HTTP mode', () => {
  it('answers a signed /find request', async () => {
    const port = await freePort();
    const http = startCli(
      ['start'],
      { ...env, SLACK_MODE: 'http', SLACK_SIGNING_SECRET: signingSecret, SLACK_PORT: String(port) },
      5 * 60_000,
    );
    try {
      await waitForOutput(http, /Slack bot listening/);
      const transport = httpTransport(`http://127.0.0.1:${port}/slack/events`, signingSecret);
      const since = slackNow();
      const delivery = await new SlackUser(fake, transport, people.alice).command(
        general,
        '/find',
        'a cat count:2',
      );
      expect(delivery.status).toBe(200);
      const { results } = await waitForResults(fake, general, since);
      expect(ranks(results)).toEqual([1, 2]);
    } finally {
      await stopCli(http);
    }
  });
});
