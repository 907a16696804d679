import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatChannels, type ChatChannelEntry } from '../../src/sources/chat/channels.js';
import { tempDir } from '../helpers/bot.js';

const entry = (tenant: string, channelId: string): ChatChannelEntry => ({
  platform: 'discord',
  tenant,
  channelId,
  name: `c-${channelId}`,
  addedAt: new Date().toISOString(),
});

describe('the chat channel list', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    data = await tempDir();
  });
  afterEach(async () => data.remove());

  it('keeps every entry when admins add channels at once, through one list or several (as processes have)', async () => {
    for (let round = 0; round < 20; round++) {
      const shared = new ChatChannels(data.dir);
      const adds = Array.from({ length: 6 }, (_, i) => {
        const list = i % 2 === 0 ? shared : new ChatChannels(data.dir);
        return list.add(entry(`guild-${i % 3}`, `r${round}-${i}`));
      });
      await Promise.all(adds);
      const ids = (await shared.list()).map((c) => c.channelId);
      for (let i = 0; i < 6; i++) expect(ids).toContain(`r${round}-${i}`);
    }
    expect(await new ChatChannels(data.dir).list()).toHaveLength(120);
  });

  it('adds, replaces and removes per tenant and channel', async () => {
    const list = new ChatChannels(data.dir);
    await list.add(entry('g1', 'a'));
    await list.add({ ...entry('g1', 'a'), since: '2024-01-01T00:00:00.000Z' });
    await list.add(entry('g2', 'a'));
    expect(await list.list('g1')).toEqual([expect.objectContaining({ since: '2024-01-01T00:00:00.000Z' })]);
    // Two removals at once: exactly one finds it.
    expect((await Promise.all([list.remove('g1', 'a'), list.remove('g1', 'a')])).sort()).toEqual([
      false,
      true,
    ]);
    expect((await list.list()).map((c) => c.tenant)).toEqual(['g2']);
  });
});
