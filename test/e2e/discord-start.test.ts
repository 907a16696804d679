// The Discord bot as people run it: `lookalike start` in a child process, configured only by environment
// variables, against the fake Discord (REST, gateway) and its CDN reached over the network through a proxy.
// No test code runs inside the bot process.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ComponentType,
  InteractionResponseType,
  MessageFlags,
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIComponentInMessageActionRow,
  type APIMessage,
} from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureImagesDir, photoFolder, tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli, startCli, stopCli, waitForOutput, type RunningCli } from '../helpers/cli.js';
import { FakeDiscord } from '../discord/fake-discord/index.js';
import {
  attachment,
  buttonClick,
  chatInput,
  message,
  messageContextMenu,
  user,
} from '../discord/fake-discord/payloads.js';
import { discordEnv, fakeGuild, interact, people, token } from '../discord/harness.js';

const cat = readFileSync(path.join(fixtureImagesDir, 'photo-cat.jpg'));
const ephemeral = Number(MessageFlags.Ephemeral);

const guild = fakeGuild('Photo club');
const adminRoleId = guild.roles[1]!.id;
const channelId = guild.channels[0]!.id;

let fake: FakeDiscord;
let bot: RunningCli;
let who: ReturnType<typeof people>;
const cleanups: (() => Promise<unknown>)[] = [];

const buttons = (m: APIMessage | undefined) =>
  (m?.components ?? []).flatMap((row) =>
    (row as APIActionRowComponent<APIComponentInMessageActionRow>).components.filter(
      (c): c is APIButtonComponentWithCustomId => c.type === ComponentType.Button && 'custom_id' in c,
    ),
  );
const ranks = (m: APIMessage | undefined) =>
  [...(m?.embeds[0]?.description ?? '').matchAll(/^\*\*#(\d+)\*\*/gm)].map((x) => Number(x[1]));
const contentOf = (body: unknown) => (body as { content?: string } | undefined)?.content ?? '';

beforeAll(async () => {
  fake = await FakeDiscord.start({ token, guilds: [guild], heartbeatIntervalMs: 1000 });
  cleanups.push(() => fake.close());
  who = people(fake, guild, adminRoleId);

  const data = await tempDir();
  const photos = await photoFolder(['grayscale.jpg', 'cmyk.jpg', 'photo-coffee.webp', 'tiny-8x8.png']);
  cleanups.push(data.remove, photos.remove);
  const env = isolatedEnv(data.dir, discordEnv(fake, adminRoleId));

  const indexed = await runCli(['index', photos.dir, '--tenant', guild.id], env);
  expect(indexed.code, indexed.stderr).toBe(0);

  bot = startCli(['start'], env, 10 * 60_000);
  cleanups.push(() => stopCli(bot));
  await waitForOutput(bot, /discord: connected/);
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('the Discord bot started with `lookalike start`', () => {
  let firstPage: APIMessage | undefined;

  it('answers /find with the contact sheet, the images, the list and buttons', async () => {
    const x = await interact(fake, chatInput(who.alice, 'find', { text: 'a cat', count: 3 }));
    expect((x.callback.body as { type: number }).type).toBe(
      InteractionResponseType.DeferredChannelMessageWithSource,
    );
    const edit = x.calls.filter((c) => c.method === 'PATCH').at(-1)!;
    expect(edit.status).toBe(200);
    expect(edit.files.length).toBeGreaterThanOrEqual(2);
    expect(edit.files.every((f) => f.contentType.startsWith('image/'))).toBe(true);
    firstPage = x.message;
    expect(firstPage?.flags ?? 0).not.toBe(ephemeral);
    expect(firstPage?.embeds[0]?.image?.url).toBe(`attachment://${edit.files[0]!.name}`);
    expect(ranks(firstPage)).toEqual([1, 2, 3]);
    expect(buttons(firstPage).map((b) => b.label)).toContain('More');
  });

  it('pages with More in place', async () => {
    const more = buttons(firstPage).find((b) => b.label === 'More')!;
    const x = await interact(fake, buttonClick(who.alice, more.custom_id, firstPage!));
    expect((x.callback.body as { type: number }).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    expect(x.message?.id).toBe(firstPage!.id);
    expect(ranks(x.message)).toEqual([4, 5, 6]);
    expect(x.calls.find((c) => c.method === 'PATCH')?.files.length).toBeGreaterThan(0);
  });

  it('answers /similar with an attachment fetched from the CDN through the proxy', async () => {
    const image = attachment({ filename: 'cat.jpg', contentType: 'image/jpeg', size: cat.length, channelId });
    fake.cdn.put(image.url, cat, 'image/jpeg');
    const x = await interact(fake, chatInput(who.alice, 'similar', { image }));
    expect(fake.cdn.requests).toContainEqual({
      host: 'cdn.discordapp.com',
      path: new URL(image.url).pathname,
    });
    expect(fake.cdn.proxy.tunnels).toContainEqual({ host: 'cdn.discordapp.com', port: 443, routed: true });
    expect(x.message!.embeds[0]!.description).toMatch(/^\*\*#1\*\* · 1\.000 · photo-cat\.jpg/);
    expect(x.calls.filter((c) => c.method === 'PATCH').at(-1)!.files.length).toBeGreaterThan(0);
  });

  it('answers the "Find similar images" message menu', async () => {
    const posted = fake.addMessage(
      message({
        channelId,
        author: user('7', 'carol'),
        attachments: [
          attachment({ filename: 'cat.jpg', contentType: 'image/jpeg', size: cat.length, channelId }),
        ],
      }),
    );
    fake.cdn.put(posted.attachments[0]!.url, cat, 'image/jpeg');
    const x = await interact(fake, messageContextMenu(who.alice, 'Find similar images', posted));
    expect(x.message!.embeds[0]!.description).toMatch(/^\*\*#1\*\* · 1\.000 · photo-cat\.jpg/);
    expect(x.calls.filter((c) => c.method === 'PATCH').at(-1)!.files.length).toBeGreaterThan(0);
  });

  it('runs an admin’s /reindex to its report, and refuses a member at once, privately', async () => {
    const refused = await interact(fake, chatInput(who.alice, 'reindex'));
    expect(refused.callback.body).toMatchObject({
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { flags: ephemeral, content: expect.stringContaining('Only admins') },
    });

    const x = await interact(fake, chatInput(who.owner, 'reindex'));
    const report = await fake.waitForCall(
      (c) => c.path.includes(x.token) && c.status === 200 && /^Indexed /.test(contentOf(c.body)),
      60_000,
    );
    expect(contentOf(report.body)).toMatch(/8 unchanged/);
  });

  it('shows help with the commands as Discord invokes them', async () => {
    const x = await interact(fake, chatInput(who.alice, 'lookalike', {}, 'help'));
    const text = [contentOf(x.callback.body), ...x.followUps.map((m) => m.content)].join('\n');
    expect(text).toContain('/lookalike more');
    expect(text).toContain('/lookalike status');
    expect(text).not.toMatch(/(^|[\s`])\/more\b/);
  });

  it('logged no failure', () => {
    const { stdout, stderr } = bot.output();
    expect(`${stdout}\n${stderr}`).not.toMatch(/interaction failed|went wrong/i);
  });
});
