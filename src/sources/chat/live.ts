import { indexSource } from '../../indexer/index.js';
import type { Embedder } from '../../model/types.js';
import type { VectorStore } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { SourceItem } from '../types.js';
import type { ChatChannels } from './channels.js';

export interface LiveChatIndexerOptions {
  store: VectorStore;
  embedder: Embedder;
  logger: Logger;
  channels: ChatChannels;
  /** How long new images wait so that a burst of posts is embedded in one batch (default 2 s). */
  batchMs?: number;
}

interface Pending {
  source: string;
  tenant: string;
  items: SourceItem[];
}

/**
 * Follows the indexed channels as messages arrive: images of new (and edited) messages are collected for a
 * short while and indexed together; a deleted message's images leave the index at once. Only channels an admin
 * added are followed. Work is serialised, so an edit's removal never overtakes the indexing of its post.
 */
export class LiveChatIndexer {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private work: Promise<void> = Promise.resolve();

  constructor(private readonly options: LiveChatIndexerOptions) {}

  /** A message with these images was posted in a channel (`source` is that channel's source id). */
  async posted(
    where: { tenant: string; channelId: string; source: string },
    items: SourceItem[],
  ): Promise<void> {
    if (items.length === 0 || !(await this.follows(where))) return;
    const entry = this.pending.get(where.source) ?? { source: where.source, tenant: where.tenant, items: [] };
    entry.items.push(...items);
    this.pending.set(where.source, entry);
    this.timer ??= setTimeout(() => void this.flush(), this.options.batchMs ?? 2000);
  }

  /** These messages were deleted: their images leave the index. */
  async deleted(
    where: { tenant: string; channelId: string; source: string },
    messageIds: string[],
  ): Promise<void> {
    if (!(await this.follows(where))) return;
    await this.serially(async () => {
      const prefixes = messageIds.map((id) => `${id}/`);
      const doomed: string[] = [];
      for await (const doc of this.options.store.scan(where.tenant, where.source)) {
        if (prefixes.some((p) => doc.relative_path?.startsWith(p))) doomed.push(doc.image_id);
      }
      if (doomed.length > 0) await this.options.store.delete(doomed);
    });
  }

  /** A message was edited: its images are now these (attachments may have been removed). */
  async edited(
    where: { tenant: string; channelId: string; source: string },
    messageId: string,
    items: SourceItem[],
  ): Promise<void> {
    await this.deleted(where, [messageId]);
    await this.posted(where, items);
  }

  /** Indexes what is waiting now. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending.values()];
    this.pending.clear();
    return this.serially(async () => {
      for (const batch of batches) {
        const { store, embedder, logger } = this.options;
        await indexSource({
          source: { id: batch.source, tenant: batch.tenant, items: () => iterate(batch.items) },
          store,
          embedder,
          logger,
          keepMissing: true,
        }).catch((error: unknown) => logger.error('live indexing failed', { source: batch.source, error }));
      }
    });
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private async follows(where: { tenant: string; channelId: string }): Promise<boolean> {
    return (await this.options.channels.get(where.tenant, where.channelId)) !== undefined;
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const next = this.work.then(task);
    this.work = next.catch((error: unknown) => this.options.logger.error('live indexing failed', { error }));
    return next;
  }
}

async function* iterate(items: SourceItem[]): AsyncIterable<SourceItem> {
  yield* items;
}
