import { indexSource, type TextReader } from './index-source.js';
import type { Embedder } from '../model/types.js';
import type { VectorStore } from '../store/types.js';
import type { Logger } from '../util/log.js';
import type { SourceItem } from '../sources/types.js';
import type { ChatChannels } from '../sources/chat/channels.js';
import { chatItemKey, chatMessageOf } from '../sources/chat/types.js';

export interface LiveChatIndexerOptions {
  store: VectorStore;
  embedder: Embedder;
  /** Reads the words in posted images (LOOKALIKE_OCR). */
  reader?: TextReader;
  logger: Logger;
  channels: ChatChannels;
  /** How long new images wait so that a burst of posts is embedded in one batch (default 2 s). */
  batchMs?: number;
}

/** The channel an event happened in (`source` is that channel's source id). */
export interface ChatEventPlace {
  tenant: string;
  channelId: string;
  source: string;
  /** The images a message of this channel has now, read from the platform (none when it is gone). */
  reread(messageId: string): Promise<SourceItem[]>;
}

interface Pending {
  source: string;
  tenant: string;
  items: SourceItem[];
}

/**
 * Follows the indexed channels as messages arrive: images of new (and edited) messages are collected for a
 * short while and indexed together; images of deleted messages (or deleted files) leave the index at once.
 * Only channels an admin added are followed. Events take effect in the order they arrived, and the store work
 * is serialised, so an edit or deletion never overtakes the indexing of its post, even one still waiting.
 */
export class LiveChatIndexer {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private events: Promise<void> = Promise.resolve();
  private work: Promise<void> = Promise.resolve();

  constructor(private readonly options: LiveChatIndexerOptions) {}

  /** A message with these images was posted. */
  posted(where: ChatEventPlace, items: SourceItem[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return this.inOrder(where, () => this.add(where, items));
  }

  /** These messages were deleted: their images leave the index. */
  deleted(where: ChatEventPlace, messageIds: string[]): Promise<void> {
    const prefixes = messageIds.map((id) => chatItemKey(id, ''));
    return this.inOrder(where, () => this.remove(where, (key) => prefixes.some((p) => key.startsWith(p))));
  }

  /**
   * A message was edited and its images are now these: images it no longer has leave the index, the rest are
   * indexed again (unchanged ones are skipped without downloading them).
   */
  edited(where: ChatEventPlace, messageId: string, items: SourceItem[]): Promise<void> {
    const prefix = chatItemKey(messageId, '');
    const kept = new Set(items.map((item) => item.key));
    return this.inOrder(where, () => {
      const removed = this.remove(where, (key) => key.startsWith(prefix) && !kept.has(key));
      this.add(where, items);
      return removed;
    });
  }

  /** These images (attachment or file ids) were deleted from whichever messages held them. */
  imagesDeleted(where: ChatEventPlace, imageIds: string[]): Promise<void> {
    const suffixes = imageIds.map((id) => `/${id}`);
    return this.inOrder(where, () => this.remove(where, (key) => suffixes.some((s) => key.endsWith(s))));
  }

  /** The followed channels of a tenant on one platform (for events that do not say their channel). */
  async followedChannels(tenant: string, platform: string): Promise<string[]> {
    const entries = await this.options.channels.list(tenant);
    return entries.filter((e) => e.platform === platform).map((e) => e.channelId);
  }

  /** Indexes what is waiting now. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending.values()].filter((batch) => batch.items.length > 0);
    this.pending.clear();
    return this.serially(async () => {
      for (const batch of batches) {
        const { store, embedder, reader, logger } = this.options;
        await indexSource({
          source: { id: batch.source, tenant: batch.tenant, items: () => iterate(batch.items) },
          store,
          embedder,
          ...(reader && { reader }),
          logger,
          keepMissing: true,
        }).catch((error: unknown) => logger.error('live indexing failed', { source: batch.source, error }));
      }
    });
  }

  async close(): Promise<void> {
    await this.events;
    await this.work; // a removal may hand back copies to index
    await this.flush();
  }

  /**
   * Runs `act` when the channel is followed, after every earlier event has been applied to what is waiting;
   * resolves when the store work `act` started is done. Later events wait only for `act` itself.
   */
  private inOrder(where: ChatEventPlace, act: () => Promise<void> | void): Promise<void> {
    let started: Promise<void> | void;
    const turn = this.events.then(async () => {
      if (await this.follows(where)) started = act();
    });
    this.events = turn.catch(() => undefined); // the caller hears of it
    return turn.then(() => started);
  }

  private add(where: ChatEventPlace, items: SourceItem[]): void {
    if (items.length === 0) return;
    const entry = this.pending.get(where.source) ?? { source: where.source, tenant: where.tenant, items: [] };
    // A message indexed again (edited) replaces its waiting images.
    const keys = new Set(items.map((item) => item.key));
    entry.items = [...entry.items.filter((item) => !keys.has(item.key)), ...items];
    this.pending.set(where.source, entry);
    this.timer ??= setTimeout(() => void this.flush(), this.options.batchMs ?? 2000);
  }

  /**
   * Drops the images whose key matches, from what is waiting and (after the work before it) from the store.
   * Exact copies of an image in one channel are one document, named after the first message: when a copy
   * goes, the document goes, and the other messages holding it are read again, so their copies come back
   * under their own links.
   */
  private remove(where: ChatEventPlace, matches: (key: string) => boolean): Promise<void> {
    const entry = this.pending.get(where.source);
    if (entry) entry.items = entry.items.filter((item) => !matches(item.key));
    return this.serially(async () => {
      const doomed: string[] = [];
      const holders = new Set<string>();
      for await (const doc of this.options.store.scan(where.tenant, where.source)) {
        const keys = [doc.relative_path ?? '', ...(doc.other_paths ?? [])];
        if (!keys.some(matches)) continue;
        doomed.push(doc.image_id);
        for (const key of keys) if (!matches(key)) holders.add(chatMessageOf(key));
      }
      if (doomed.length > 0) await this.options.store.delete(doomed);
      for (const messageId of holders) {
        const items = await where.reread(messageId).catch((error: unknown) => {
          this.options.logger.warn('could not read a message again; its copy returns with the next walk', {
            source: where.source,
            messageId,
            error,
          });
          return [];
        });
        this.add(
          where,
          items.filter((item) => !matches(item.key)),
        );
      }
    });
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
