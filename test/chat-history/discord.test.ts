import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownloadLimiter } from '../../src/sources/chat/downloads.js';
import { discordHistorySource } from '../../adapters/discord/history/source.js';
import { indexSource } from '../../src/indexer/index-source.js';
import {
  chatInput,
  message,
  pickChannel,
  pickUser,
  type OptionValue,
} from '../discord/fake-discord/payloads.js';
import { interact } from '../discord/harness.js';
import { derivedImagesDir } from '../helpers/bot.js';
import { photo, startDiscordWorld, type DiscordWorld } from './discord-fixture.js';
import { backends, chatTestBot, type ChatTestBot } from './test-bot.js';

const jpeg = 'image/jpeg';

describe.each(backends)('Discord channel history (%s store)', (backend) => {
  let test: ChatTestBot;
  let world: DiscordWorld;
  beforeAll(async () => {
    test = await chatTestBot(backend);
    world = await startDiscordWorld(test.bot);
  });
  afterAll(async () => {
    await world?.close();
    await test?.close();
  });

  const history = (channelId: string) =>
    discordHistorySource({
      tenant: world.guild.id,
      channelId,
      rest: world.rest,
      limits: world.limits,
      ownUserId: world.fake.botUser.id,
      download: createDownloadLimiter(),
    });
  /** One walk of the channel, whose results are then searchable. */
  async function index(channelId: string) {
    const report = await indexSource({
      source: history(channelId),
      store: test.store,
      embedder: test.embedder,
    });
    await test.refresh();
    return report;
  }

  /** The links listed in the bot's answer to `/find` from this member. */
  async function linksFor(asker: DiscordWorld['insider'], text: string): Promise<string[]> {
    const exchange = await interact(world.fake, chatInput(asker, 'find', { text, count: 20 }));
    const description = exchange.message?.embeds[0]?.description ?? exchange.message?.content ?? '';
    return [...description.matchAll(/\((https:\/\/discord\.com\/channels\/[^)]+)\)/g)].map((m) => m[1]!);
  }

  it('indexes image attachments with permalinks, skips other files, and shows private channels only to members who can view them', async () => {
    const open = world.post(world.general, [
      { name: 'cat.jpg', bytes: photo('photo-cat.jpg'), contentType: jpeg },
      { name: 'notes.txt', bytes: Buffer.from('hello'), contentType: 'text/plain' },
    ]);
    const hidden = world.post(world.secret, [
      { name: 'flower.jpg', bytes: photo('photo-flower.jpg'), contentType: jpeg },
    ]);
    // A link preview: its picture comes from Discord's media proxy.
    const embedUrl = 'https://media.discordapp.net/external/abc/https/images.example.com/coffee.jpg';
    world.fake.cdn.put(embedUrl, photo('photo-coffee.jpg'), jpeg);
    const preview = world.fake.addMessage(
      message({
        channelId: world.general,
        author: world.poster,
        embeds: [
          {
            url: 'https://images.example.com/',
            image: { url: 'https://images.example.com/coffee.jpg', proxy_url: embedUrl },
          },
        ],
      }),
    );
    const openReport = await index(world.general);
    expect(openReport.new).toBe(2);
    expect(openReport.failed).toEqual([]);
    expect((await index(world.secret)).new).toBe(1);

    const openLink = `https://discord.com/channels/${world.guild.id}/${world.general}/${open.id}`;
    const hiddenLink = `https://discord.com/channels/${world.guild.id}/${world.secret}/${hidden.id}`;
    const stored = [];
    for await (const doc of test.store.scan(world.guild.id, `discord:${world.general}`)) stored.push(doc);
    expect(stored.map((d) => d.image_name).sort()).toEqual(['cat.jpg', 'coffee.jpg']);
    expect(stored.find((d) => d.relative_path === `${preview.id}/embed-0`)).toBeDefined();
    expect(stored.find((d) => d.image_name === 'cat.jpg')).toMatchObject({
      channel_id: world.general,
      permalink: openLink,
      author_id: world.poster.id,
    });

    const insider = await linksFor(world.insider, 'a flower');
    expect(insider).toEqual(expect.arrayContaining([openLink, hiddenLink]));
    const outsider = await linksFor(world.outsider, 'a flower');
    expect(outsider).toContain(openLink);
    expect(outsider).not.toContain(hiddenLink);
  });

  it('filters /find by channel and poster inside the search, never widening what a member may see, and orders by date', async () => {
    // The first test indexed cat.jpg and coffee.jpg in #general, flower.jpg in #secret, all from the poster.
    const find = async (asker: DiscordWorld['insider'], options: Record<string, OptionValue>) => {
      const options_ = { text: 'a photo', count: 20, all: true, ...options };
      const x = await interact(world.fake, chatInput(asker, 'find', options_));
      // A refusal is answered privately: at once in the callback, or after deferral in a follow-up.
      const refused =
        (x.callback.body as { data?: { content?: string } }).data?.content ?? x.followUps[0]?.content;
      return x.message?.embeds[0]?.description ?? x.message?.content ?? refused ?? '';
    };
    const channelsOf = (answer: string) =>
      new Set([...answer.matchAll(/discord\.com\/channels\/\d+\/(\d+)\/\d+\)/g)].map((m) => m[1]));
    const hits = (answer: string) => answer.match(/^\*\*#\d+\*\*/gm)?.length ?? 0;

    const inSecret = await find(world.insider, { in: pickChannel(world.secret, 'secret') });
    expect(channelsOf(inSecret)).toEqual(new Set([world.secret]));
    expect(hits(inSecret)).toBe(1);
    // The same filter in the query language, by the channel's name.
    const named = await find(world.insider, { text: 'a photo in:#general' });
    expect(channelsOf(named)).toEqual(new Set([world.general]));
    expect(hits(named)).toBe(2);
    // Naming a channel the asker cannot view finds nothing there: a filter never widens the search.
    expect(await find(world.outsider, { in: pickChannel(world.secret, 'secret') })).toMatch(
      /^Nothing here matches those filters/,
    );
    expect(hits(await find(world.insider, { from: pickUser(world.poster) }))).toBe(3);
    expect(await find(world.insider, { from: pickUser(world.insider.member.user) })).toMatch(
      /^Nothing here matches those filters/,
    );
    const byDate = await find(world.insider, { sort: 'date' });
    expect(byDate).toMatch(/posted \d{4}-\d{2}-\d{2}/);
    expect(byDate).toContain('Newest first');
    expect(await find(world.insider, { after: '2024-13' })).toMatch(/after:2024-13/);

    // A resized copy of the cat, posted too: folded under the cat in a shaped answer, listed with all.
    const copy = world.post(world.general, [
      {
        name: 'cat-small.jpg',
        bytes: readFileSync(path.join(derivedImagesDir, 'photo-cat-half.jpg')),
        contentType: jpeg,
      },
    ]);
    await index(world.general);
    const shaped = await find(world.insider, {
      text: 'a cat',
      in: pickChannel(world.general, 'general'),
      all: false,
    });
    expect(shaped).toMatch(/cat\.jpg.*\+1 near-copy/);
    expect(shaped).not.toContain('cat-small.jpg');
    expect(await find(world.insider, { text: 'a cat', in: pickChannel(world.general, 'general') })).toContain(
      'cat-small.jpg',
    );
    world.fake.messages.delete(copy.id);
    expect((await index(world.general)).deleted).toBe(1);
  });

  it('drops the images of deleted messages on the next walk', async () => {
    const doomed = world.post(world.general, [
      { name: 'coffee.jpg', bytes: photo('photo-coffee.jpg'), contentType: jpeg },
    ]);
    expect((await index(world.general)).new).toBe(1);
    world.fake.messages.delete(doomed.id);
    const report = await index(world.general);
    expect(report.deleted).toBe(1);
    expect(report.unchanged).toBe(2);
  });

  it('resumes an interrupted walk without downloading what it already indexed', async () => {
    for (const name of ['photo-china.jpg', 'photo-coffee.jpg', 'photo-cat.jpg']) {
      world.post(world.secret, [{ name, bytes: photo(name), contentType: jpeg }]);
    }
    // The process "dies" when the third download starts: by then at least the first image is written (how many
    // more depends on how far the pipeline had prepared ahead), and not all of them.
    const controller = new AbortController();
    let downloads = 0;
    const limiter = createDownloadLimiter();
    const interrupted = indexSource({
      source: discordHistorySource({
        tenant: world.guild.id,
        channelId: world.secret,
        rest: world.rest,
        limits: world.limits,
        ownUserId: world.fake.botUser.id,
        download: (work) => {
          if (++downloads === 3) controller.abort(new Error('killed'));
          return limiter(work);
        },
      }),
      store: test.store,
      embedder: test.embedder,
      batchSize: 1,
      concurrency: 1,
      signal: controller.signal,
    });
    await expect(interrupted).rejects.toThrow('killed');
    const kept = await test.countOf(world.guild.id, `discord:${world.secret}`);
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(4);

    const downloadsBefore = world.fake.cdn.requests.length;
    const report = await index(world.secret);
    expect(report.new + report.unchanged).toBe(4);
    expect(report.unchanged).toBe(kept);
    expect(world.fake.cdn.requests.length - downloadsBefore).toBe(report.new);
  });
});
