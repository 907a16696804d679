import path from 'node:path';
import { indexSource } from '../indexer/index.js';
import type { IndexFailure, IndexReport, TextReport } from '../indexer/types.js';
import type { SourceDescriptor } from '../sources/registry.js';
import { InputError } from '../util/errors.js';
import type { CommandContext } from './command.js';
import type { Actor, Reply } from './types.js';

/** Documents of shared folders carry this tenant; only the bot's host operator may (re)index them. */
export const sharedTenant = '*';

/** How a source is named in chat: its full path for the host operator, only its last part for anyone else. */
export const sourceLabel = (source: Pick<SourceDescriptor, 'path'>, actor: Actor): string =>
  actor.isHostOperator ? source.path : path.basename(source.path);

/** The registered sources this request may reindex: its tenant's, and shared ones for the host operator. */
export async function reindexableSources(context: CommandContext): Promise<SourceDescriptor[]> {
  const { request, registry } = context;
  const entries = await registry.list();
  return entries.filter(
    (e) =>
      e.tenant === request.tenant || (e.tenant === sharedTenant && request.actor.isHostOperator === true),
  );
}

/**
 * Starts indexing the given sources one after another in the background (one job per tenant) and answers at
 * once with a `job` reply. Progress goes to hooks.onProgress; every source's run is recorded in the registry
 * (its report, or the error that stopped it); hooks.onJobDone gets one report for the whole job.
 */
export function startIndexJob(context: CommandContext, sources: SourceDescriptor[], full: boolean): Reply {
  const { jobs, request, hooks } = context;
  if (sources.length === 0) throw new InputError('reindex', 'there is nothing to index');
  const label = sources.length === 1 ? (sources[0] as SourceDescriptor).id : `${sources.length} sources`;
  const jobId = jobs.start(request.tenant, label, async (id, signal) => {
    const startedAt = new Date();
    const reports: IndexReport[] = [];
    const stopped: IndexFailure[] = [];
    for (const descriptor of sources) {
      if (signal.aborted) break;
      const report = await indexOne(context, descriptor, full, id, signal).catch((error: unknown) => {
        stopped.push({
          input: descriptor.id,
          reason: error instanceof Error ? error.message : String(error),
        });
        return undefined;
      });
      if (report) reports.push(report);
    }
    hooks.onJobDone?.(combine(id, label, request.tenant, full, startedAt, reports, stopped));
  });
  const what = sources.map((s) => sourceLabel(s, request.actor)).join(', ');
  return {
    kind: 'job',
    jobId,
    text: `Started ${full ? 'a full rebuild' : 'indexing'} of ${what} (job ${jobId}).`,
  };
}

async function indexOne(
  context: CommandContext,
  descriptor: SourceDescriptor,
  full: boolean,
  jobId: string,
  signal: AbortSignal,
): Promise<IndexReport> {
  const { config, registry, store, embedder, reader, logger, hooks } = context;
  try {
    const report = await indexSource({
      source: await registry.open(descriptor),
      store,
      embedder,
      ...(reader && { reader }),
      logger,
      full,
      concurrency: config.LOOKALIKE_CONCURRENCY,
      batchSize: config.LOOKALIKE_BATCH_SIZE,
      onProgress: (progress) => hooks.onProgress?.({ ...progress, jobId }),
      signal,
    });
    await registry.record(descriptor, { report });
    return report;
  } catch (error) {
    await registry
      .record(descriptor, { error: error instanceof Error ? error.message : String(error) })
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
