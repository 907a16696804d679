import { createHash, randomUUID } from 'node:crypto';
import type { Embedder } from '../model/types.js';
import type { ImageSource, SourceItem } from '../sources/types.js';
import { imageId } from '../store/ids.js';
import type { Lease, Leases } from '../store/leases/types.js';
import { modelMismatch } from '../store/model-stamp.js';
import type { Reindex, ThumbnailUpdate, VectorStore } from '../store/types.js';
import { InputError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Group } from './membership.js';
import { runPipeline } from './pipeline.js';
import { planRun } from './plan.js';
import { ProgressTracker } from './progress.js';
import { applyFixes, plannedFixes, removedKeys, staleDocuments } from './reconcile.js';
import { byInput, countItems, failureList, summaryLine } from './report.js';
import { IndexRun, type RunSettings } from './run.js';
import { checkShard, shardOf } from './shard.js';
import { loadStoredSlice } from './stored.js';
import { readTexts, type TextReader } from './text.js';
import { makeThumbnails } from './thumbnails.js';
import type { IndexOptions, IndexReport, TextReport, ThumbnailReport } from './types.js';

export type { IndexOptions, IndexProgress, IndexReport, IndexFailure } from './types.js';
export { summaryLine } from './report.js';

export type { TextReader } from './text.js';

export type IndexSourceOptions = IndexOptions & {
  store: VectorStore;
  embedder: Embedder;
  /** Reads the words in images for text search; without one, no text is read (LOOKALIKE_OCR=false). */
  reader?: TextReader;
  logger?: Logger;
  /** One run per source (and shard) at a time across processes; without it, nothing stops a second run. */
  leases?: Leases;
};

const deleteChunk = 500;

/** Index runs' lease keys start with their tenant: `/status` finds any run for its tenant by this prefix. */
export const indexLeasePrefix = (tenant: string) => `${tenant} `;

/**
 * Brings the index in line with a source: new and changed images embedded, unchanged ones skipped by size
 * and mtime (then content hash), exact duplicates indexed once, vanished ones removed. Any run, killed at
 * any point and run again, ends in the state an uninterrupted run reaches: ids are derived from keys, writes
 * are upserts, and every run compares the whole slice with the source before it deletes anything.
 */
export async function indexSource(options: IndexSourceOptions): Promise<IndexReport> {
  const settings = checkOptions(options);
  const { shard } = settings;
  const key = `${indexLeasePrefix(options.source.tenant)}${options.source.id}${shard.count > 1 ? ` shard ${shard.index}/${shard.count}` : ''}`;
  const lease: Lease | undefined = settings.dryRun ? undefined : await options.leases?.acquire(key);
  if (!lease) return runIndex(options, settings);
  try {
    const signals = [lease.lost, ...(options.signal ? [options.signal] : [])];
    return await runIndex({ ...options, signal: AbortSignal.any(signals) }, settings);
  } catch (error) {
    throw lease.lost.aborted ? lease.lost.reason : error;
  } finally {
    await lease.release();
  }
}

async function runIndex(
  options: IndexSourceOptions,
  settings: ReturnType<typeof checkOptions>,
): Promise<IndexReport> {
  const { source, store, embedder, logger } = options;
  const startedAt = new Date();
  const jobId = randomUUID().slice(0, 8);
  const progress = new ProgressTracker(jobId, options.onProgress);
  const tenant = source.tenant;
  let reindex: Reindex | undefined;
  try {
    progress.phase('scanning');
    const exists = await prepareIndex(store, embedder, settings.dryRun);
    const stored = await loadStoredSlice(store, { tenant, source: source.id }, { exists });
    const items = await listItems(source, options.signal);
    if (exists) await checkOwnership(store, source, items, stored.docs);
    const plan = planRun(items, stored, { source: source.id, ...settings });
    if (settings.full && !settings.dryRun) reindex = await store.beginReindex({ tenant, source: source.id });
    const thumbnails = new PipelineThumbnails(store);
    const runSettings: RunSettings = {
      context: { source: source.id, tenant, modelId: embedder.modelId, indexedAt: startedAt.toISOString() },
      full: settings.full,
      target: settings.dryRun ? undefined : (reindex ?? store),
      isMine: (id) => shardOf(id, settings.shard.count) === settings.shard.index,
      ...(!settings.dryRun && !reindex && { storeThumbnails: (updates) => thumbnails.store(updates) }),
      ...(logger && { logger }),
    };
    const run = new IndexRun(stored, plan, runSettings, progress);

    progress.phase('indexing', plan.total);
    await runPipeline(plan.work, run, {
      embedder,
      ...settings,
      ...(options.reader && { reader: options.reader }),
      ...(options.signal && { signal: options.signal }),
    });

    progress.phase('committing');
    const { desired, fixes } = plannedFixes(run, plan, runSettings);
    let keep = new Set<string>();
    if (!settings.dryRun) {
      keep = await applyFixes(fixes, {
        run,
        store,
        tenant,
        batchSize: settings.batchSize,
        embedAgain: (group) => embedAgain(embedder, group, logger),
      });
      if (reindex) {
        await store.commitReindex(reindex);
        reindex = undefined;
      }
    }
    const stale = staleDocuments(run, plan, runSettings, desired, keep);
    let text: TextReport | undefined;
    let previews: ThumbnailReport | undefined;
    if (!settings.dryRun) {
      for (let i = 0; i < stale.length; i += deleteChunk) await store.delete(stale.slice(i, i + deleteChunk));
      const gone = new Set(stale);
      previews = await makeThumbnails({
        store,
        documents: [...run.current.values()].filter((doc) => !gone.has(doc.image_id)),
        membership: run.membership,
        isMine: runSettings.isMine,
        progress,
        stored: thumbnails.stored,
        ...(thumbnails.failure !== undefined && { storeFailure: thumbnails.failure }),
        ...(options.signal && { signal: options.signal }),
        ...(logger && { logger }),
      });
      if (options.reader) {
        const passedOver = run.textPassedOver;
        text = await readTexts({
          reader: options.reader,
          store,
          documents: [...run.current.values()].filter((doc) => !gone.has(doc.image_id)),
          membership: run.membership,
          isMine: runSettings.isMine,
          progress,
          ...(options.signal && { signal: options.signal }),
          ...(logger && { logger }),
        });
        // Photos the pipeline's cheap test passed over were stored with their (empty) text already.
        text = { ...text, read: text.read + passedOver, passedOver: text.passedOver + passedOver };
      }
    }

    const report: IndexReport = {
      jobId,
      source: source.id,
      tenant,
      ...countItems(run),
      deleted: removedKeys(run, runSettings, desired, keep),
      failed: failureList(run),
      skipped: byInput(run.skipped),
      ...(text && { text }),
      ...(previews && worthSaying(previews) && { thumbnails: previews }),
      dryRun: settings.dryRun,
      full: settings.full,
      ...(settings.shard.count > 1 && { shard: settings.shard }),
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
    };
    progress.phase('done');
    logger?.info(`indexed ${source.id}: ${summaryLine(report)}`, {
      jobId,
      tenant,
      durationMs: report.durationMs,
    });
    return report;
  } catch (error) {
    if (reindex) await store.abortReindex(reindex).catch(() => undefined);
    progress.phase('failed');
    throw error;
  }
}

const worthSaying = (report: ThumbnailReport) =>
  report.made > 0 || report.failed.length > 0 || report.storeError !== undefined;

/**
 * Thumbnails the pipeline made from the bytes it read, stored right after their documents. The first store
 * failure stops further attempts in this run; the thumbnail pass reports it.
 */
class PipelineThumbnails {
  /** Documents whose thumbnail of their current content is stored. */
  readonly stored = new Set<string>();
  failure: string | undefined;

  constructor(private readonly target: VectorStore) {}

  async store(updates: ThumbnailUpdate[]): Promise<void> {
    if (this.failure !== undefined) return;
    try {
      const result = await this.target.setThumbnails(updates);
      // Only when every one landed are they known stored; otherwise the pass asks the store which lack one.
      if (result.written === updates.length) for (const u of updates) this.stored.add(u.image_id);
    } catch (error) {
      this.failure = error instanceof Error ? error.message : String(error);
    }
  }
}

function checkOptions(options: IndexOptions) {
  const positive = (name: string, value: number | undefined, fallback: number) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < 1)
      throw new InputError(name, `must be a whole number of at least 1, got ${v}`);
    return v;
  };
  const shard = checkShard(options.shard ?? { index: 0, count: 1 });
  const full = options.full ?? false;
  if (full && shard.count > 1) {
    throw new InputError('shard', 'a full rebuild replaces the whole source at once and cannot be sharded');
  }
  return {
    full,
    dryRun: options.dryRun ?? false,
    keepMissing: options.keepMissing ?? false,
    shard,
    concurrency: positive('concurrency', options.concurrency, 4),
    batchSize: positive('batchSize', options.batchSize, 16),
  };
}

/** Creates the index when needed (never in a dry run). Returns whether the store holds an index to read. */
async function prepareIndex(store: VectorStore, embedder: Embedder, dryRun: boolean): Promise<boolean> {
  if (!dryRun) {
    await store.ensureIndex({ dims: embedder.dims, modelId: embedder.modelId });
    return true;
  }
  const stats = await store.stats();
  if (stats.modelId !== undefined && stats.modelId !== embedder.modelId) {
    const stored = { dims: stats.dims ?? 0, modelId: stats.modelId };
    throw modelMismatch(store.backend, stats.index, stored, {
      dims: embedder.dims,
      modelId: embedder.modelId,
    });
  }
  return stats.dims !== undefined;
}

async function listItems(source: ImageSource, signal: AbortSignal | undefined): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of source.items()) {
    signal?.throwIfAborted();
    items.push(item);
  }
  return items;
}

/**
 * Ids come from source and key only, so one source indexed for two tenants would overwrite itself in turn.
 * A sample of this run's new ids tells whether the source already belongs to another tenant.
 */
async function checkOwnership(
  store: VectorStore,
  source: ImageSource,
  items: SourceItem[],
  docs: Map<string, unknown>,
): Promise<void> {
  const sample = items
    .map((item) => imageId(source.id, item.key))
    .filter((id) => !docs.has(id))
    .slice(0, 50);
  if (sample.length === 0) return;
  const other = (await store.get(sample)).find((doc) => doc.tenant !== source.tenant);
  if (other) {
    throw new InputError(
      source.id,
      `is already indexed for tenant "${other.tenant}": a source belongs to one tenant (index it for "${other.tenant}", ` +
        `or as shared with tenant "*", after removing it from the other)`,
    );
  }
}

/** Last resort when a content's stored vector is gone: embed it again from any key that still has it. */
async function embedAgain(
  embedder: Embedder,
  group: Group,
  logger?: Logger,
): Promise<Float32Array | undefined> {
  for (const member of group.members) {
    if (member.pinned || !member.item) continue;
    try {
      const bytes = await member.item.bytes();
      if (createHash('sha256').update(bytes).digest('hex') !== group.sha) continue; // changed since it was read
      const image = await embedder.prepareImage({ name: member.key, bytes });
      const [vector] = await embedder.embedPrepared([image]);
      logger?.debug('embedded again: no stored vector of this content was readable', { input: member.key });
      return vector;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
    }
  }
  return undefined;
}
