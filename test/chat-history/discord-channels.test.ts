import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../commands/channels.js';
import { commands } from '../../commands/index.js';
import { chatInput } from '../discord/fake-discord/payloads.js';
import { interact } from '../discord/harness.js';
import { photo, startDiscordWorld, type DiscordWorld } from './discord-fixture.js';
import { backends, chatTestBot, type ChatTestBot } from './test-bot.js';

describe.each(backends)('/channels on Discord (%s store)', (backend) => {
  let test: ChatTestBot;
  let world: DiscordWorld;
  beforeAll(async () => {
    test = await chatTestBot(backend, { commands: [...commands, channels] });
    world = await startDiscordWorld(test.bot);
  });
  afterAll(async () => {
    await world?.close();
    await test?.close();
  });

  const answer = async (asker: DiscordWorld['admin'], options: Record<string, string | number>) => {
    const exchange = await interact(world.fake, chatInput(asker, 'channels', options));
    return [
      exchange.message?.content ?? '',
      ...(exchange.message?.embeds ?? []).map((e) => e.description ?? ''),
    ]
      .join('\n')
      .concat(exchange.followUps.map((m) => m.content).join('\n'));
  };

  async function countOf(channelId: string, atLeast: number): Promise<number> {
    const count = () => test.countOf(world.guild.id, `discord:${channelId}`);
    for (let i = 0; i < 100; i++) {
      const n = await count();
      if (n >= atLeast) return n;
      await sleep(100);
    }
    return count();
  }

  it('lets an admin add a private channel, whose images then reach only members who can view it', async () => {
    const posted = world.post(world.secret, [
      { name: 'flower.jpg', bytes: photo('photo-flower.jpg'), contentType: 'image/jpeg' },
    ]);
    // The reply is the job's status message, edited as the walk goes on.
    await answer(world.admin, { action: 'add', channel: 'secret' });
    expect(await countOf(world.secret, 1)).toBe(1);

    const link = `https://discord.com/channels/${world.guild.id}/${world.secret}/${posted.id}`;
    const find = async (asker: DiscordWorld['admin']) =>
      (await interact(world.fake, chatInput(asker, 'find', { text: 'flower' }))).message?.embeds[0]
        ?.description ?? '';
    expect(await find(world.insider)).toContain(link);
    expect(await find(world.outsider)).not.toContain(link);

    expect(await answer(world.admin, { action: 'list' })).toContain('#secret');

    world.post(world.secret, [{ name: 'cat.jpg', bytes: photo('photo-cat.jpg'), contentType: 'image/jpeg' }]);
    await answer(world.admin, { action: `reindex <#${world.secret}>` });
    expect(await countOf(world.secret, 2)).toBe(2);
  });

  it('refuses members without admin rights and unknown channels', async () => {
    expect(await answer(world.insider, { action: 'add', channel: 'secret' })).toContain('Only admins');
    expect(await answer(world.admin, { action: 'add', channel: 'nowhere' })).toContain('no text channel');
  });

  it('removes a channel and its images', async () => {
    expect(await answer(world.admin, { action: 'remove', channel: `<#${world.secret}>` })).toContain(
      'removed its 2 images',
    );
    expect(await test.countOf(world.guild.id, `discord:${world.secret}`)).toBe(0);
    expect(await answer(world.admin, { action: 'list' })).toContain('No channels');
  });
});
