import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayDispatchEvents } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatChannels } from '../../src/sources/chat/channels.js';
import { LiveChatIndexer } from '../../src/sources/chat/live.js';
import { createTestBot, type TestBot } from '../helpers/bot.js';
import { photo, startDiscordWorld, type DiscordWorld } from './discord-fixture.js';

let test: TestBot;
let world: DiscordWorld;
let live: LiveChatIndexer;
beforeAll(async () => {
  test = await createTestBot();
  const channels = new ChatChannels(test.config.LOOKALIKE_DATA_DIR);
  live = new LiveChatIndexer({
    store: test.store,
    embedder: test.embedder,
    logger: test.logger,
    channels,
    batchMs: 100,
  });
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

const count = (channelId: string) =>
  test.store.count({ tenant: world.guild.id }, { source: [`discord:${channelId}`] });

async function until(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true;
    await sleep(50);
  }
  return false;
}

const jpeg = 'image/jpeg';
const created = (m: ReturnType<DiscordWorld['post']>) => ({ ...m, guild_id: world.guild.id });

describe('live indexing on Discord', () => {
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
    expect(test.logger.lines.filter((l) => l.includes(`indexed discord:${world.general}`))).toHaveLength(1);
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
});
