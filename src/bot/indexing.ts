import path from 'node:path';
import { indexSource } from '../indexer/index-source.js';
import type { IndexFailure, IndexProgress, IndexReport, TextReport } from '../indexer/types.js';
import { metrics } from '../ops/metrics.js';
import type { SourceDescriptor } from '../indexer/source-registry.js';
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
