// Replies come from thumbnails made at index time: a folder is indexed, then deleted, and `lookalike start`
// answers on the console, on Discord and on Slack (the fakes, as in the other end-to-end tests) with every
// image shown — none of them as the "no preview" placeholder — without the originals.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoFolder, tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli, startCli, stopCli, waitForOutput } from '../helpers/cli.js';
import { placeholderTiles } from '../helpers/sheet.js';
import { FakeDiscord } from '../discord/fake-discord/index.js';
import { chatInput } from '../discord/fake-discord/payloads.js';
import { discordEnv, fakeGuild, interact, people as discordPeople, token } from '../discord/harness.js';
import { FakeSlack } from '../slack/fake-slack/index.js';
import { SlackUser, socketTransport } from '../slack/fake-slack/requests.js';
import {
  adminGroup,
  appToken,
  botToken,
  people as slackPeople,
  ranks,
  slackNow,
  team,
  waitForResults,
  workspaceChannels,
} from '../slack/harness.js';

// Photos, a CMYK and a greyscale JPEG, a WebP, an EXIF-rotated JPEG and a transparent PNG: 9 images.
const extra = [
  'grayscale.jpg',
  'cmyk.jpg',
  'photo-coffee.webp',
  'exif-orientation-6.jpg',
  'rgba-transparent.png',
];
const count = 9;

let dataDir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const data = await tempDir();
  cleanups.push(data.remove);
  dataDir = data.dir;
  const photos = await photoFolder(extra);
  const indexed = await runCli(['index', photos.dir, '--tenant', '*'], isolatedEnv(dataDir));
  expect(indexed.code, indexed.stderr).toBe(0);
  expect(indexed.stdout).toMatch(/9 new/);
  expect(indexed.stdout).not.toMatch(/thumbnail/i);
  // The source folder is gone (an unplugged disk, a moved share): replies must not need it.
  await photos.remove();
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('replies after the source folder is gone', () => {
  it('the console’s contact sheet shows every image', async () => {
    const run = await runCli(['start'], isolatedEnv(dataDir), `/find a photo --count ${count} all:true\n`);
    expect(run.code, run.stderr).toBe(0);
    const file = /Contact sheet: (.+)$/m.exec(run.stdout)?.[1];
    expect(file, run.stdout).toBeDefined();
    expect(await placeholderTiles(await readFile(file!.trim()), count)).toEqual([]);
  }, 120_000);

  it('Discord gets a contact sheet showing every image and the top images as attachments', async () => {
    const guild = fakeGuild('Photo club');
    const adminRoleId = guild.roles[1]!.id;
    const fake = await FakeDiscord.start({ token, guilds: [guild], heartbeatIntervalMs: 1000 });
    const bot = startCli(['start'], isolatedEnv(dataDir, discordEnv(fake, adminRoleId)), 5 * 60_000);
    try {
      await waitForOutput(bot, /discord: connected/);
      const who = discordPeople(fake, guild, adminRoleId);
      const x = await interact(fake, chatInput(who.alice, 'find', { text: 'a photo', count, all: true }));
      const edit = x.calls.filter((c) => c.method === 'PATCH').at(-1)!;
      const [sheet, ...images] = edit.files;
      expect(await placeholderTiles(sheet!.bytes, count)).toEqual([]);
      expect(images).toHaveLength(4);
      for (const image of images) {
        expect(image.contentType).toBe('image/jpeg');
        expect((await sharp(image.bytes).metadata()).format).toBe('jpeg');
      }
    } finally {
      await stopCli(bot);
      await fake.close();
    }
  }, 180_000);

  it('Slack gets a contact sheet showing every image', async () => {
    const fake = await FakeSlack.start({
      botToken,
      appToken,
      teams: [team],
      channels: [],
      usergroups: [{ id: adminGroup, teamId: team.id, users: [slackPeople.curator.id] }],
    });
    const channels = workspaceChannels(fake.botUserId);
    fake.options.channels.push(channels.general, channels.random);
    const env = isolatedEnv(dataDir, {
      SLACK_BOT_TOKEN: botToken,
      SLACK_APP_TOKEN: appToken,
      SLACK_API_URL: fake.apiUrl,
      SLACK_ADMIN_USER_IDS: slackPeople.admin.id,
      ...fake.files.env,
    });
    const bot = startCli(['start'], env, 5 * 60_000);
    try {
      await waitForOutput(bot, /Slack bot connected/);
      await fake.socket.whenConnected();
      const since = slackNow();
      await new SlackUser(fake, socketTransport(fake), slackPeople.alice).command(
        channels.general.id,
        '/find',
        `a photo count:${count} all:true`,
      );
      const { results, sheet } = await waitForResults(fake, channels.general.id, since);
      expect(ranks(results)).toHaveLength(count);
      const bytes = (sheet.files as { bytes: Buffer }[])[0]!.bytes;
      expect(await placeholderTiles(bytes, count)).toEqual([]);
    } finally {
      await stopCli(bot);
      await fake.close();
    }
  }, 180_000);
});
