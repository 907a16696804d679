import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { checkModelFolders, loadConfig } from '../config/load.js';
import { indexSource, summaryLine, type IndexProgress, type IndexReport } from '../indexer/index-source.js';
import { registeredTargets, switchModel } from '../indexer/switch-model.js';
import { parseShard, type Shard } from '../indexer/shard.js';
import { openEmbedder } from '../model/index.js';
import { openTextReader } from '../ocr/index.js';
import { withConfiguredGlobs } from '../indexer/configured-globs.js';
import {
  describeSource,
  openSourceRegistry,
  type SourceDescriptor,
  type SourceRegistry,
} from '../indexer/source-registry.js';
import type { Config } from '../config/schema.js';
import type { Embedder } from '../model/types.js';
import type { Leases } from '../store/leases/types.js';
import type { VectorStore } from '../store/types.js';
import type { Logger } from '../util/log.js';
import { LeaseHeldError } from '../store/leases/hold.js';
import { openLeases } from '../store/leases/open.js';
import { openStore } from '../store/open.js';
import { InputError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import { sharedTenant } from '../store/tenants.js';

interface IndexFlags {
  tenant: string;
  full?: boolean;
  switchModel?: boolean;
  dryRun?: boolean;
  keepMissing?: boolean;
  shard?: Shard;
  concurrency?: number;
  batch?: number;
  report?: string;
  include?: string[];
  exclude?: string[];
}

const listedSkips = 20;
const plainProgressEveryMs = 5_000;

/** `lookalike index <folder | urls.txt>`: index a folder or URL list from the shell, with progress and a summary. */
export function registerIndexCommand(program: Command): void {
  program
    .command('index')
    .argument('<source>', 'a folder of images, or a text file with one http(s) image URL per line')
    .description(
      'Index a folder or URL list: new and changed images are embedded, unchanged ones skipped, vanished ones removed',
    )
    .option(
      '--tenant <id>',
      'guild / workspace id the images belong to; * shares them with every tenant',
      sharedTenant,
    )
    .option('--full', 'rebuild this source from scratch behind the index (searches keep answering meanwhile)')
    .option(
      '--switch-model',
      'move the index to the configured model (LOOKALIKE_MODEL / LOOKALIKE_MODEL_DIR): this source and every registered folder and URL list are rebuilt with it behind the index, searches keep the old model until the swap; run again to resume a stopped switch',
    )
    .option('--dry-run', 'report what would change, write nothing')
    .option('--keep-missing', 'keep the documents of files that disappeared')
    .option(
      '--shard <i/n>',
      'index only shard i of n (0-based), so n machines can share the work',
      shardOption,
    )
    .option(
      '--concurrency <n>',
      'files read and decoded at once, 1 to 64; a whole batch decodes while the model runs anyway (default LOOKALIKE_CONCURRENCY)',
      count('--concurrency', 64),
    )
    .option(
      '--batch <n>',
      'images per model batch, 1 to 256 (default LOOKALIKE_BATCH_SIZE)',
      count('--batch', 256),
    )
    .option('--report <file>', 'write the full report as JSON to this file')
    .option(
      '--include <glob>',
      'only files matching (relative to the folder; repeatable; default LOOKALIKE_INCLUDE)',
      collect,
    )
    .option(
      '--exclude <glob>',
      'leave out files and folders matching (repeatable; default LOOKALIKE_EXCLUDE)',
      collect,
    )
    .action(async (input: string, flags: IndexFlags) => {
      await runIndexCommand(input, flags);
    });
}

function shardOption(value: string): Shard {
  try {
    return parseShard(value, '--shard');
  } catch (error) {
    throw new InvalidArgumentError(error instanceof InputError ? `--shard: ${error.reason}` : String(error));
  }
}

function count(option: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < 1 || n > max) {
      throw new InvalidArgumentError(`${option} must be a whole number from 1 to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** How long an interrupted index run may take to reach a safe point before the process exits anyway. */
const interruptGraceMs = 10_000;

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

async function runIndexCommand(input: string, flags: IndexFlags): Promise<void> {
  const config = loadConfig();
  checkModelFolders(config);
  const logger = createLogger(config);
  if (flags.tenant.trim() === '')
    throw new InputError('--tenant', 'must not be empty (use * for shared folders)');
  if (flags.full && flags.shard && flags.shard.count > 1) {
    throw new InputError('--full', 'rebuilds the whole source at once and cannot be combined with --shard');
  }
  if (flags.switchModel && ((flags.shard && flags.shard.count > 1) || flags.dryRun)) {
    throw new InputError('--switch-model', 'rebuilds the whole index at once: not with --shard or --dry-run');
  }
  const registry = openSourceRegistry(config);
  const descriptor = withConfiguredGlobs(
    await describeSource(input, {
      tenant: flags.tenant,
      ...(flags.include && { include: flags.include }),
      ...(flags.exclude && { exclude: flags.exclude }),
    }),
    config,
  );
  const source = await registry.open(descriptor);

  // Indexing embeds images only: the text tower leaves memory once checked (bench/memory.md, indexing peak).
  const embedder = await openEmbedder(config, { textIdleMs: 0 });
  const store = await openStore(config).catch(async (error: unknown) => {
    await embedder.close();
    throw error;
  });
  const leases = await openLeases(config);
  // A switch reads no text: what was read is carried over from the old index.
  const reader = flags.dryRun || flags.switchModel ? undefined : await openTextReader(config);
  const cancel = new AbortController();
  // SIGINT (Ctrl-C) or SIGTERM (a service manager): stop at the next safe point; the next run resumes. Should
  // the safe point not come within the grace period, exit anyway: a run killed at any moment converges too.
  const onInterrupt = (signal: NodeJS.Signals) => {
    logger.info(`stopping the index run (${signal}) at a safe point`);
    cancel.abort(new Error(`interrupted (${signal}): nothing half-written is lost, run it again to finish`));
    setTimeout(() => {
      logger.warn('the index run did not reach a safe point in time: exiting; run it again to finish');
      process.exit(130);
    }, interruptGraceMs).unref();
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  const display = progressDisplay(descriptor, Boolean(process.stderr.isTTY));
  let reports: { report: IndexReport; descriptor: SourceDescriptor }[];
  try {
    reports = flags.switchModel
      ? await runSwitch(descriptor, {
          registry,
          store,
          embedder,
          logger,
          leases,
          flags,
          config,
          display,
          cancel,
        })
      : [
          {
            descriptor,
            report: await indexSource({
              source,
              store,
              embedder,
              ...(reader && { reader }),
              logger,
              leases,
              full: flags.full ?? false,
              dryRun: flags.dryRun ?? false,
              keepMissing: flags.keepMissing ?? false,
              ...(flags.shard && { shard: flags.shard }),
              concurrency: flags.concurrency ?? config.LOOKALIKE_CONCURRENCY,
              batchSize: flags.batch ?? config.LOOKALIKE_BATCH_SIZE,
              onProgress: display.update,
              signal: cancel.signal,
            }),
          },
        ];
  } catch (error) {
    display.stop();
    // A run refused because another one holds the source is not a run of its own.
    if (!flags.dryRun && !(error instanceof LeaseHeldError)) {
      const message = error instanceof Error ? error.message : String(error);
      await registry.record(descriptor, { error: message }).catch(() => undefined);
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
    await leases.close();
    await store.close();
    await embedder.close();
    await reader?.close();
  }
  display.stop();
  for (const { report, descriptor: source } of reports) {
    // A dry run writes nothing, the source list included.
    if (!report.dryRun) await registry.record(source, { report });
    process.stdout.write(summaryText(report, source));
  }
  if (flags.report) {
    const written = flags.switchModel ? reports.map((r) => r.report) : reports[0]?.report;
    await writeFile(path.resolve(flags.report), `${JSON.stringify(written, null, 2)}\n`);
  }
  const indexed = reports.reduce((n, { report: r }) => n + r.new + r.updated + r.unchanged, 0);
  const failed = reports.reduce((n, { report: r }) => n + r.failed.length, 0);
  if (indexed === 0 && failed > 0) process.exitCode = 1; // nothing could be read
}

interface SwitchParts {
  registry: SourceRegistry;
  store: VectorStore;
  embedder: Embedder;
  logger: Logger;
  leases: Leases;
  flags: IndexFlags;
  config: Config;
  display: ReturnType<typeof progressDisplay>;
  cancel: AbortController;
}

/** `--switch-model`: this source and every registered folder and URL list, rebuilt with the configured model. */
async function runSwitch(descriptor: SourceDescriptor, parts: SwitchParts) {
  const { registry, store, embedder, flags, config } = parts;
  const planned = await registeredTargets(registry, [descriptor]);
  const stats = await store.stats();
  process.stderr.write(
    `Switching index ${stats.index} from model ${stats.modelId ?? '(none)'} to ${embedder.modelId}: ` +
      `${planned.length} source${planned.length === 1 ? '' : 's'} to index again; searches keep the old model until the swap.\n`,
  );
  const result = await switchModel({
    store,
    embedder,
    targets: planned.map((p) => p.target),
    logger: parts.logger,
    leases: parts.leases,
    keepMissing: flags.keepMissing ?? false,
    concurrency: flags.concurrency ?? config.LOOKALIKE_CONCURRENCY,
    batchSize: flags.batch ?? config.LOOKALIKE_BATCH_SIZE,
    onProgress: parts.display.update,
    signal: parts.cancel.signal,
  });
  process.stderr.write(
    `${result.resumed ? 'Resumed and finished' : 'Finished'} the switch: index ${stats.index} now holds model ${result.to} only.\n`,
  );
  return result.reports.map((report, i) => ({ report, descriptor: planned[i]!.descriptor }));
}

function summaryText(report: IndexReport, source: SourceDescriptor): string {
  const who = report.tenant === sharedTenant ? 'shared with every tenant' : `tenant ${report.tenant}`;
  const mode = [
    report.dryRun && 'dry run: nothing written',
    report.full && 'full rebuild',
    report.shard && `shard ${report.shard.index}/${report.shard.count}`,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [
    `${source.path} (${who})${mode ? ` [${mode}]` : ''} in ${(report.durationMs / 1000).toFixed(1)} s`,
    `  ${summaryLine(report)}`,
  ];
  if (report.failed.length > 0) {
    lines.push(`Failed (${report.failed.length}):`, ...report.failed.map((f) => `  ${f.input}: ${f.reason}`));
  }
  const unread = report.text?.failed ?? [];
  if (unread.length > 0) {
    lines.push(`Text not read (${unread.length}):`, ...unread.map((f) => `  ${f.input}: ${f.reason}`));
  }
  const noPreview = report.thumbnails?.failed ?? [];
  if (noPreview.length > 0) {
    lines.push(`No thumbnail (${noPreview.length}):`, ...noPreview.map((f) => `  ${f.input}: ${f.reason}`));
  }
  const skipped = report.skipped ?? [];
  if (skipped.length > 0) {
    lines.push(
      `Skipped (${skipped.length}):`,
      ...skipped.slice(0, listedSkips).map((s) => `  ${s.input}: ${s.reason}`),
    );
    if (skipped.length > listedSkips)
      lines.push(`  ... and ${skipped.length - listedSkips} more (all of them with --report)`);
  }
  return `${lines.join('\n')}\n`;
}

/** A progress bar with count, rate and ETA on a terminal; otherwise a plain line every few seconds. */
function progressDisplay(source: SourceDescriptor, tty: boolean) {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let bar: cliProgress.SingleBar | undefined;
  let phase: IndexProgress['phase'] | undefined;
  let lastLine = 0;
  const rate = (p: IndexProgress) => (p.ratePerSecond ?? 0).toFixed(1);
  const eta = (p: IndexProgress) => (p.etaSeconds === undefined ? '?' : formatSeconds(p.etaSeconds));

  const update = (p: IndexProgress) => {
    if (p.phase !== phase) {
      bar?.stop();
      bar = undefined;
      phase = p.phase;
      if (p.phase === 'scanning') say(`Scanning ${source.path} ...`);
      if (p.phase === 'indexing')
        say(`Indexing ${p.total ?? 0} ${source.kind === 'folder' ? 'files' : 'URLs'} ...`);
      if (p.phase === 'committing') say('Writing the remaining changes ...');
      if (p.phase === 'reading text') say(`Reading the text in ${p.total ?? 0} images ...`);
      if (p.phase === 'making thumbnails') say(`Making thumbnails of ${p.total ?? 0} images ...`);
      if ((p.phase === 'indexing' || p.phase === 'reading text') && tty) {
        bar = new cliProgress.SingleBar(
          {
            format: ' {bar} {value}/{total} | {rate}/s | ETA {etaText} | {failed} failed',
            hideCursor: true,
            clearOnComplete: false,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total ?? 0, p.done, { rate: rate(p), etaText: eta(p), failed: p.failed });
      }
      return;
    }
    if (bar) bar.update(p.done, { rate: rate(p), etaText: eta(p), failed: p.failed });
    else if (
      (p.phase === 'indexing' || p.phase === 'reading text') &&
      Date.now() - lastLine >= plainProgressEveryMs
    ) {
      lastLine = Date.now();
      say(`  ${p.done}/${p.total ?? '?'} (${rate(p)}/s, ${eta(p)} left, ${p.failed} failed)`);
    }
  };
  return { update, stop: () => bar?.stop() };
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
