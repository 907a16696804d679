import path from 'node:path';
import { indexSource } from '../indexer/index-source.js';
import { registeredTargets, switchModel, type SwitchTarget } from '../indexer/switch-model.js';
import type { IndexFailure, IndexProgress, IndexReport, TextReport } from '../indexer/types.js';
import { metrics } from '../ops/metrics.js';
import type { SourceDescriptor } from '../indexer/source-registry.js';
import type { Embedder } from '../model/types.js';
import type { ActiveModel } from '../search/active-model.js';
import { sharedTenant } from '../store/tenants.js';
import type { ImageSource } from '../sources/types.js';
import { refusal } from '../util/errors.js';
import type { RequestContext } from './command.js';
import type { Actor, Reply } from './types.js';

/** How a source is named in chat: its full path for the host operator, only its last part for anyone else. */
export const sourceLabel = (source: Pick<SourceDescriptor, 'path'>, actor: Actor): string =>
  actor.isHostOperator ? source.path : path.basename(source.path);

/** The registered folders and URL lists this request may reindex: its tenant's, and shared ones for the host operator. */
export async function reindexableSources(context: RequestContext): Promise<SourceDescriptor[]> {
  const { request, registry } = context;
  const entries = await registry.list();
  return entries.filter(
    (e) =>
      e.kind !== 'chat' &&
      (e.tenant === request.tenant || (e.tenant === sharedTenant && request.actor.isHostOperator === true)),
  );
}

/** One source of an index job: how it is recorded, and how it is opened when its turn comes. */
export interface IndexTarget {
  descriptor: SourceDescriptor;
  open(): Promise<ImageSource>;
}

/** A registered folder or URL list as a job's target. */
export const registeredTarget = (context: RequestContext, descriptor: SourceDescriptor): IndexTarget => ({
  descriptor,
  open: () => context.registry.open(descriptor),
});

/**
 * Starts indexing the targets one after another in the background (one job per tenant) and answers at once
 * with a `job` reply. Progress goes to hooks.onProgress; every target's run is recorded in the registry (its
 * report, or the error that stopped it) for /status; hooks.onJobDone gets one report for the whole job.
 */
export function startIndexJob(context: RequestContext, targets: IndexTarget[], full: boolean): Reply {
  const { jobs, request, hooks } = context;
  if (targets.length === 0) throw refusal('reindex', 'There is nothing to index.');
  const names = targets.map((t) => sourceLabel(t.descriptor, request.actor));
  const label = names.length === 1 ? names[0]! : `${names.length} sources`;
  const jobId = jobs.start(request.tenant, label, async (id, signal) => {
    const startedAt = new Date();
    const reports: IndexReport[] = [];
    const stopped: IndexFailure[] = [];
    for (const [i, target] of targets.entries()) {
      if (signal.aborted) break;
      const report = await indexOne(context, target, full, id, signal).catch((error: unknown) => {
        stopped.push({ input: names[i]!, reason: error instanceof Error ? error.message : String(error) });
        return undefined;
      });
      if (report) reports.push(report);
    }
    hooks.onJobDone?.(combine(id, label, request.tenant, full, startedAt, reports, stopped));
  });
  return {
    kind: 'job',
    jobId,
    text: `Started ${full ? 'a full rebuild' : 'indexing'} of ${names.join(', ')} (job ${jobId}).`,
  };
}

async function indexOne(
  context: RequestContext,
  target: IndexTarget,
  full: boolean,
  jobId: string,
  signal: AbortSignal,
): Promise<IndexReport> {
  const { config, registry, store, embedder, reader, logger, hooks, leases } = context;
  const counted = { done: 0, failed: 0 };
  try {
    const report = await indexSource({
      source: await target.open(),
      store,
      embedder,
      ...(reader && { reader }),
      logger,
      ...(leases && { leases }),
      full,
      concurrency: config.LOOKALIKE_CONCURRENCY,
      batchSize: config.LOOKALIKE_BATCH_SIZE,
      onProgress: (progress) => {
        countProgress(counted, progress);
        hooks.onProgress?.({ ...progress, jobId });
      },
      signal,
    });
    await registry.record(target.descriptor, { report });
    return report;
  } catch (error) {
    await registry
      .record(target.descriptor, { error: error instanceof Error ? error.message : String(error) })
      .catch(() => {});
    throw error;
  }
}

/** The bots (by their model holder) running a model switch now. */
const switching = new WeakSet<ActiveModel>();

/** Whether `/reindex full` switches the index to the configured model (the bot serves with the index's own). */
export const switchPending = (context: RequestContext): context is RequestContext & { switchTo: Embedder } =>
  context.switchTo !== undefined && context.switchTo.modelId !== context.model.embedder.modelId;

/**
 * `/reindex full` while the index holds another model than the configured one: a model switch (src/indexer/
 * switch-model.ts) of the whole index, as one background job. Every source of every tenant is indexed again with
 * the configured model: the registered folders and URL lists, and the chat channels of platforms this bot is
 * connected to. Searches keep the index's model until the swap, when the bot's model changes with the index.
 * The report names only this tenant's sources (every source for the host operator); the others are counted.
 */
export async function startSwitchJob(context: RequestContext & { switchTo: Embedder }): Promise<Reply> {
  const { jobs, request, hooks, registry, model, switchTo, config, logger, leases } = context;
  // Jobs are one per tenant, but a switch covers every tenant: one at a time per bot.
  if (switching.has(model))
    throw refusal('reindex', 'A model switch is already running; wait for its report.');
  const registered = await registeredTargets(registry);
  const chat = await chatTargets(context);
  const planned = [...registered, ...chat];
  const from = model.embedder.modelId;
  // The host operator hears about every source; a chat admin only about their own tenant's.
  const seesReportOf = (d: SourceDescriptor) =>
    request.actor.isHostOperator === true || d.tenant === request.tenant;
  const jobId = jobs.start(request.tenant, `model switch to ${switchTo.modelId}`, async (id, signal) => {
    switching.add(model);
    const startedAt = new Date();
    const stopped: IndexFailure[] = [];
    const reports: IndexReport[] = [];
    try {
      const result = await switchModel({
        store: context.store,
        embedder: switchTo,
        targets: planned.map((p) => p.target),
        logger,
        ...(leases && { leases }),
        concurrency: config.LOOKALIKE_CONCURRENCY,
        batchSize: config.LOOKALIKE_BATCH_SIZE,
        onProgress: (progress) => hooks.onProgress?.({ ...progress, jobId: id }),
        signal,
        // The bot answers with the new model from the moment the index holds it; the old one is closed.
        atSwap: model.swapTo(switchTo, (previous) => void previous.close()),
      });
      for (const [i, report] of result.reports.entries()) {
        const { descriptor } = planned[i]!;
        await registry.record(descriptor, { report }).catch(() => undefined);
        if (seesReportOf(descriptor)) reports.push(report);
      }
      logger.info(`switched the index from model ${from} to ${switchTo.modelId}`, { jobId: id });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      stopped.push({ input: `model switch to ${switchTo.modelId}`, reason: `${reason} (still on ${from})` });
    } finally {
      switching.delete(model);
    }
    hooks.onJobDone?.(
      combine(id, `model switch to ${switchTo.modelId}`, request.tenant, true, startedAt, reports, stopped),
    );
  });
  const here = planned.filter((p) => seesReportOf(p.descriptor)).length;
  return {
    kind: 'job',
    jobId,
    text:
      `Started switching the index from model ${from} to ${switchTo.modelId} (job ${jobId}): ${planned.length} ` +
      `sources (${here} of them here) are indexed again with it behind the index; searches keep using ${from} ` +
      'until the swap.',
  };
}

/** The indexed chat channels of every tenant whose platform this bot is connected to. */
async function chatTargets(
  context: RequestContext,
): Promise<{ descriptor: SourceDescriptor; target: SwitchTarget }[]> {
  const entries = await context.channels.list();
  return entries.flatMap((entry) => {
    const provider = context.chatHistory.for(entry.tenant);
    if (!provider) return [];
    const source = provider.open(entry);
    const descriptor = { id: source.id, kind: 'chat' as const, path: `#${entry.name}`, tenant: entry.tenant };
    return [{ descriptor, target: { tenant: entry.tenant, source: source.id, open: async () => source } }];
  });
}

/** One report for a job over several sources: counts added up, failures listed (a source that stopped, too). */
function combine(
  jobId: string,
  label: string,
  tenant: string,
  full: boolean,
  startedAt: Date,
  reports: IndexReport[],
  stopped: IndexFailure[],
): IndexReport {
  const sum = (key: 'new' | 'updated' | 'unchanged' | 'deleted') => reports.reduce((n, r) => n + r[key], 0);
  return {
    jobId,
    source: label,
    tenant,
    new: sum('new'),
    updated: sum('updated'),
    unchanged: sum('unchanged'),
    deleted: sum('deleted'),
    failed: [...stopped, ...reports.flatMap((r) => r.failed)],
    skipped: reports.flatMap((r) => r.skipped ?? []),
    ...combinedText(reports),
    dryRun: false,
    full,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
  };
}

/** Moves the indexing metrics by what this progress event adds to the last one of the same run. */
function countProgress(counted: { done: number; failed: number }, progress: IndexProgress): void {
  const failed = Math.max(0, progress.failed - counted.failed);
  const done = Math.max(0, progress.done - progress.failed - (counted.done - counted.failed));
  if (done > 0) metrics.indexedImages.inc({ outcome: 'done' }, done);
  if (failed > 0) metrics.indexedImages.inc({ outcome: 'failed' }, failed);
  counted.done = progress.done;
  counted.failed = progress.failed;
  if (progress.ratePerSecond !== undefined) metrics.indexRate.set(progress.ratePerSecond);
  if (progress.phase === 'done' || progress.phase === 'failed') metrics.indexRate.set(0);
}

/** The text passes of several runs added up; absent when none read text. */
function combinedText(reports: IndexReport[]): { text?: TextReport } {
  const texts = reports.flatMap((r) => (r.text ? [r.text] : []));
  if (texts.length === 0) return {};
  const sum = (key: 'read' | 'withText' | 'passedOver' | 'downscaled') =>
    texts.reduce((n, t) => n + t[key], 0);
  return {
    text: {
      read: sum('read'),
      withText: sum('withText'),
      passedOver: sum('passedOver'),
      downscaled: sum('downscaled'),
      failed: texts.flatMap((t) => t.failed),
    },
  };
}
