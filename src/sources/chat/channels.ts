import path from 'node:path';
import { z } from 'zod';
import { LockedJsonFile } from '../../util/json-file.js';
import type { ChatChannelSpec } from './types.js';

/** A chat channel an admin chose to index. */
export interface ChatChannelEntry extends ChatChannelSpec {
  platform: string;
  /** Its name when added, for lists (the id is what counts). */
  name: string;
  addedAt: string;
}

const entrySchema = z.object({
  platform: z.string(),
  tenant: z.string(),
  channelId: z.string(),
  name: z.string(),
  since: z.string().optional(),
  addedAt: z.string(),
});
const fileSchema = z.object({ version: z.literal(1), channels: z.array(entrySchema) });
type ChannelsFile = z.infer<typeof fileSchema>;

/**
 * The indexed chat channels of every tenant, in `<data dir>/chat-channels.json`. One instance serves the bot's
 * commands and the live indexer; every change holds the file's lock, so concurrent changes (two admins adding
 * channels at once, or two processes) never lose an entry.
 */
export class ChatChannels {
  private readonly channels: LockedJsonFile<ChannelsFile>;

  constructor(dataDir: string) {
    this.channels = new LockedJsonFile(
      path.join(dataDir, 'chat-channels.json'),
      (json) => fileSchema.parse(json),
      { version: 1, channels: [] },
      'chat channel list',
    );
  }

  get file(): string {
    return this.channels.file;
  }

  async list(tenant?: string): Promise<ChatChannelEntry[]> {
    const all = (await this.channels.read()).channels;
    return tenant === undefined ? all : all.filter((c) => c.tenant === tenant);
  }

  async get(tenant: string, channelId: string): Promise<ChatChannelEntry | undefined> {
    return (await this.list(tenant)).find((c) => c.channelId === channelId);
  }

  /** Adds the channel, or replaces its settings when it is already there. */
  async add(entry: ChatChannelEntry): Promise<void> {
    await this.channels.update(({ channels }) => ({
      version: 1,
      channels: [...channels.filter((c) => !same(c, entry)), entry],
    }));
  }

  /** Whether the channel was there. */
  async remove(tenant: string, channelId: string): Promise<boolean> {
    let found = false;
    await this.channels.update(({ channels }) => {
      found = channels.some((c) => same(c, { tenant, channelId }));
      return { version: 1, channels: channels.filter((c) => !same(c, { tenant, channelId })) };
    });
    return found;
  }
}

const same = (
  a: Pick<ChatChannelSpec, 'tenant' | 'channelId'>,
  b: Pick<ChatChannelSpec, 'tenant' | 'channelId'>,
) => a.tenant === b.tenant && a.channelId === b.channelId;
