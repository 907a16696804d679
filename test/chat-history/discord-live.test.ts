import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayDispatchEvents } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveChatIndexer } from '../../src/indexer/live-chat.js';
import { photo, startDiscordWorld, type DiscordWorld } from './discord-fixture.js';
import { backends, chatTestBot, liveIndexing, type ChatTestBot } from './test-bot.js';

describe.each(backends)('live indexing on Discord (%s store)', (backend) => {
  let test: ChatTestBot;
  let world: DiscordWorld;
  let live: LiveChatIndexer;
  beforeAll(async () => {
    test = await chatTestBot(backend);
    const { channels, live: indexer } = liveIndexing(test);
    live = indexer;
    world = await startDiscordWorld(test.bot, { live });
    await channels.add({
      platform: 'discord',
      tenant: world.guild.id,
      channelId: world.general,
      name: 'general',
      addedAt: new Date().toISOString(),
    });
  });
  afterAll(async () => {
    await world?.close();
    await live?.close();
    await test?.close();
  });

  const count = (channelId: string) => test.countOf(world.guild.id, `discord:${channelId}`);

  async function until(check: () => Promise<boolean>): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return true;
      await sleep(50);
    }
    return false;
  }

  const jpeg = 'image/jpeg';
  const created = (m: ReturnType<DiscordWorld['post']>) => ({ ...m, guild_id: world.guild.id });
  /** Every message image #general holds in the index (exact copies share a document), by key. */
  async function keys(): Promise<string[]> {
    await test.refresh();
    const found: string[] = [];
    for await (const doc of test.store.scan(world.guild.id, `discord:${world.general}`))
      found.push(doc.relative_path!, ...(doc.other_paths ?? []));
    return found.sort();
  }
  /** Live indexing runs of #general so far (each logs one line). */
  const runs = () => test.logger.lines.filter((l) => l.includes(`indexed discord:${world.general}`)).length;

  it('indexes images posted in an indexed channel as they arrive, in one batch, and ignores other channels', async () => {
    const first = world.post(world.general, [
      { name: 'cat.jpg', bytes: photo('photo-cat.jpg'), contentType: jpeg },
    ]);
    const second = world.post(world.general, [
      { name: 'flower.jpg', bytes: photo('photo-flower.jpg'), contentType: jpeg },
    ]);
    const elsewhere = world.post(world.secret, [
      { name: 'coffee.jpg', bytes: photo('photo-coffee.jpg'), contentType: jpeg },
    ]);
    for (const m of [first, second, elsewhere])
      world.dispatch(GatewayDispatchEvents.MessageCreate, created(m));
    expect(await until(async () => (await count(world.general)) === 2)).toBe(true);
    await live.flush();
    expect(await count(world.secret)).toBe(0);
    // Both posts arrived within the batching window: one indexing run.
    expect(runs()).toBe(1);
  });

  it('removes a deleted message’s images, and follows an edit that drops an attachment', async () => {
    const posted = world.post(world.general, [
      { name: 'china.jpg', bytes: photo('photo-china.jpg'), contentType: jpeg },
      { name: 'coffee.jpg', bytes: photo('photo-coffee.jpg'), contentType: jpeg },
    ]);
    world.dispatch(GatewayDispatchEvents.MessageCreate, created(posted));
    expect(await until(async () => (await count(world.general)) === 4)).toBe(true);

    const edited = {
      ...created(posted),
      attachments: posted.attachments.slice(0, 1),
      edited_timestamp: new Date().toISOString(),
    };
    world.dispatch(GatewayDispatchEvents.MessageUpdate, edited);
    expect(await until(async () => (await count(world.general)) === 3)).toBe(true);

    world.dispatch(GatewayDispatchEvents.MessageDelete, {
      id: posted.id,
      channel_id: world.general,
      guild_id: world.guild.id,
    });
    expect(await until(async () => (await count(world.general)) === 2)).toBe(true);
  });

  it('follows the picture of a link preview as Discord adds it and as it is removed', async () => {
    const start = await count(world.general);
    const message = world.post(world.general, []);
    world.dispatch(GatewayDispatchEvents.MessageCreate, created(message));
    // Discord resolves a link's preview after the post and sends the message again, now with its embed.
    const proxied = 'https://media.discordapp.net/external/xyz/https/images.example.com/china.jpg';
    world.fake.cdn.put(proxied, photo('photo-china.jpg'), jpeg);
    const embed = {
      url: 'https://images.example.com/',
      image: { url: 'https://images.example.com/china.jpg', proxy_url: proxied },
    };
    world.dispatch(GatewayDispatchEvents.MessageUpdate, { ...created(message), embeds: [embed] });
    expect(await until(async () => (await count(world.general)) === start + 1)).toBe(true);
    // The author suppresses the preview.
    world.dispatch(GatewayDispatchEvents.MessageUpdate, { ...created(message), embeds: [], flags: 1 << 2 });
    expect(await until(async () => (await count(world.general)) === start)).toBe(true);
  });

  it('follows an edit that arrives while its post still waits, and downloads nothing again for a text edit', async () => {
    const start = await keys();
    const before = runs();
    const posted = world.post(world.general, [
      // Pictures not posted before (an exact copy would share a document, and be read again to be sure).
      { name: 'cmyk.jpg', bytes: photo('cmyk.jpg'), contentType: jpeg },
      { name: 'grayscale.jpg', bytes: photo('grayscale.jpg'), contentType: jpeg },
    ]);
    const kept = posted.attachments.slice(1);
    world.dispatch(GatewayDispatchEvents.MessageCreate, created(posted));
    world.dispatch(GatewayDispatchEvents.MessageUpdate, {
      ...created(posted),
      attachments: kept,
      edited_timestamp: new Date().toISOString(),
    });
    expect(await until(async () => runs() > before)).toBe(true);
    const keyOf = (a: { id: string }) => `${posted.id}/${a.id}`;
    expect(await keys()).toEqual([...start, keyOf(kept[0]!)].sort());

    const downloads = world.fake.cdn.requests.length;
    const again = runs();
    world.dispatch(GatewayDispatchEvents.MessageUpdate, {
      ...created(posted),
      content: 'now with words',
      attachments: kept,
      edited_timestamp: new Date().toISOString(),
    });
    expect(await until(async () => runs() > again)).toBe(true);
    expect(world.fake.cdn.requests.length).toBe(downloads);
    expect(await keys()).toEqual([...start, keyOf(kept[0]!)].sort());
  });

  it('keeps an image posted twice findable, under the remaining post, when the other is deleted', async () => {
    const start = await count(world.general);
    const china = () => [{ name: 'china.jpg', bytes: photo('photo-china.jpg'), contentType: jpeg }];
    const first = world.post(world.general, china());
    world.dispatch(GatewayDispatchEvents.MessageCreate, created(first));
    expect(await until(async () => (await count(world.general)) === start + 1)).toBe(true);
    const before = runs();
    const second = world.post(world.general, china());
    world.dispatch(GatewayDispatchEvents.MessageCreate, created(second));
    expect(await until(async () => runs() > before)).toBe(true);
    expect(await count(world.general)).toBe(start + 1); // one document for both copies

    world.fake.messages.delete(first.id);
    world.dispatch(GatewayDispatchEvents.MessageDelete, {
      id: first.id,
      channel_id: world.general,
      guild_id: world.guild.id,
    });
    const linkOf = (m: { id: string }) =>
      `https://discord.com/channels/${world.guild.id}/${world.general}/${m.id}`;
    const links = async () => {
      await test.refresh();
      const found: string[] = [];
      for await (const doc of test.store.scan(world.guild.id, `discord:${world.general}`))
        if (doc.image_name === 'china.jpg') found.push(doc.permalink!);
      return found;
    };
    expect(await until(async () => (await links()).join() === linkOf(second))).toBe(true);

    world.fake.messages.delete(second.id);
    world.dispatch(GatewayDispatchEvents.MessageDelete, {
      id: second.id,
      channel_id: world.general,
      guild_id: world.guild.id,
    });
    expect(await until(async () => (await links()).length === 0)).toBe(true);
    expect(await count(world.general)).toBe(start);
  });
});
