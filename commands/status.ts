import { howToIndex } from '../src/bot/search-replies.js';
import { defineCommand, type RequestContext } from '../src/bot/command.js';
import { sourceLabel, switchPending } from '../src/bot/indexing.js';
import { sharedTenant } from '../src/store/tenants.js';
import type { SourceEntry } from '../src/indexer/source-registry.js';
import { indexLeasePrefix } from '../src/indexer/index-source.js';

/** Failures of the last run shown in the status (the rest are counted). */
const listedFailures = 5;

export const status = defineCommand({
  spec: {
    name: 'status',
    description: 'Store, model, images indexed here and the last index run',
    permission: 'everyone',
    placement: 'grouped',
    options: [],
  },
  inference: false,
  async run(context) {
    const { store, embedder, scope, request } = context;
    const [stats, here, lastRun] = await Promise.all([
      store.stats(),
      store.count(scope),
      lastRunLines(context),
    ]);
    const lines = [
      // Only the bot's operator hears about other tenants' images, even as a count.
      `Store: ${stats.backend} (index ${stats.index}${request.actor.isHostOperator ? `, ${stats.count} images in all` : ''})`,
      `Model: ${embedder.modelId} (${embedder.dims} dimensions)`,
      ...(switchPending(context)
        ? [
            `Configured model: ${context.switchTo.modelId}; an admin's /reindex full switches the index to it.`,
          ]
        : []),
      `Images searchable here: ${here}${scope.includeShared ? ' (including shared folders)' : ''}`,
      ...lastRun,
    ];
    if (here === 0) lines.push(howToIndex(context));
    // A job of this bot, or an index run of another bot process or `lookalike index` holding a lease here.
    const elsewhere = (await context.leases?.running(indexLeasePrefix(request.tenant))) ?? [];
    if (context.jobs.isRunning(request.tenant) || elsewhere.length > 0) {
      lines.push('An indexing job is running here now.');
    }
    // In chat the count covers the channels the asker can see, private ones included: said to the asker alone,
    // so a status asked in a public channel does not tell everyone there how many private images exist.
    return { kind: 'text', text: lines.join('\n'), ...(scope.visibleChannels && { ephemeral: true }) };
  },
});

/** The most recent run among the sources searchable here: when, what it changed, and what failed. */
async function lastRunLines(context: RequestContext): Promise<string[]> {
  const { tenant, includeShared } = context.scope;
  const entries = (await context.registry.list()).filter(
    (e) => e.tenant === tenant || (includeShared && e.tenant === sharedTenant),
  );
  const latest = entries
    .filter(
      (e): e is SourceEntry & { lastRun: NonNullable<SourceEntry['lastRun']> } => e.lastRun !== undefined,
    )
    .sort((a, b) => (a.lastRun.at < b.lastRun.at ? 1 : -1))[0];
  if (!latest) return ['Last index run: none yet'];
  const run = latest.lastRun;
  const where = sourceLabel(latest, context.request.actor);
  if (run.error) return [`Last index run: ${where} at ${run.at} stopped: ${run.error}`];
  const lines = [
    `Last index run: ${where} at ${run.at}: ${run.new} new, ${run.updated} updated, ` +
      `${run.unchanged} unchanged, ${run.deleted} deleted, ${run.failed} failed`,
    ...run.failures.slice(0, listedFailures).map((f) => `  ${f.input}: ${f.reason}`),
  ];
  if (run.failed > listedFailures) lines.push(`  … and ${run.failed - listedFailures} more failures`);
  return lines;
}
