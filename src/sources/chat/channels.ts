import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ServiceError } from '../../util/errors.js';
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

/**
 * The indexed chat channels of every tenant, in `<data dir>/chat-channels.json`. Changes are serialised in
 * this process and written atomically (temporary file + rename), so a reader never sees half a file.
 */
export class ChatChannels {
  readonly file: string;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'chat-channels.json');
  }

  async list(tenant?: string): Promise<ChatChannelEntry[]> {
    const all = await this.read();
    return tenant === undefined ? all : all.filter((c) => c.tenant === tenant);
  }

  async get(tenant: string, channelId: string): Promise<ChatChannelEntry | undefined> {
    return (await this.read()).find((c) => c.tenant === tenant && c.channelId === channelId);
  }

  /** Adds the channel, or replaces its settings when it is already there. */
  add(entry: ChatChannelEntry): Promise<void> {
    return this.change((all) => [...all.filter((c) => !same(c, entry)), entry]);
  }

  /** Whether the channel was there. */
  async remove(tenant: string, channelId: string): Promise<boolean> {
    let found = false;
    await this.change((all) => {
      found = all.some((c) => same(c, { tenant, channelId }));
      return all.filter((c) => !same(c, { tenant, channelId }));
    });
    return found;
  }

  private change(edit: (all: ChatChannelEntry[]) => ChatChannelEntry[]): Promise<void> {
    const next = this.writing.then(async () => {
      const channels = edit(await this.read());
      await mkdir(path.dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
      await writeFile(temporary, `${JSON.stringify({ version: 1, channels }, null, 2)}\n`);
      await rename(temporary, this.file);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<ChatChannelEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new ServiceError('chat channels', `cannot read ${this.file}: ${(error as Error).message}`);
    }
    try {
      return fileSchema.parse(JSON.parse(text)).channels;
    } catch (error) {
      throw new ServiceError(
        'chat channels',
        `${this.file} is not a valid channel list (${(error as Error).message.split('\n')[0]}): fix or remove it`,
      );
    }
  }
}

const same = (
  a: Pick<ChatChannelSpec, 'tenant' | 'channelId'>,
  b: Pick<ChatChannelSpec, 'tenant' | 'channelId'>,
) => a.tenant === b.tenant && a.channelId === b.channelId;
