import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import type { IndexFailure, IndexReport } from './types.js';
import { InputError, ServiceError } from '../util/errors.js';
import { LockedJsonFile, writeAtomically } from '../util/json-file.js';
import { folderSourceId, isDirectory, openFolderSource } from '../sources/folder.js';
import type { ImageSource } from '../sources/types.js';
import { openUrlListSource, urlListSourceId } from '../sources/url-list.js';
import { downloadSettings, type DownloadSettings } from '../net/download.js';

/**
 * What is needed to open a source again (from the shell, or from chat with /reindex). Chat channels are
 * recorded too, so /status shows their runs, but they are opened by their platform (/channels reindex).
 */
export interface SourceDescriptor {
  /** `folder:<absolute root>`, `urls:<absolute list path>` or the chat channel's source id. */
  id: string;
  kind: 'folder' | 'urls' | 'chat';
  /** Absolute folder or URL-list path; `#channel` for a chat channel. */
  path: string;
  tenant: string;
  include?: string[];
  exclude?: string[];
}

/** The last run of a source, short enough for a status line; the full report is kept beside it. */
export interface RunSummary {
  jobId?: string;
  at: string;
  new: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  skipped: number;
  durationMs?: number;
  full?: boolean;
  shard?: { index: number; count: number };
  /** The first failed inputs with their reasons. */
  failures: IndexFailure[];
  /** Why the run stopped, when it did not finish (a store failure, for one). */
  error?: string;
}

export interface SourceEntry extends SourceDescriptor {
  lastRunAt?: string;
  lastRun?: RunSummary;
}

const failuresInSummary = 10;

const globs = z.array(z.string()).optional();
const entrySchema = z.object({
  id: z.string(),
  kind: z.enum(['folder', 'urls', 'chat']),
  path: z.string(),
  tenant: z.string(),
  include: globs,
  exclude: globs,
  lastRunAt: z.string().optional(),
  lastRun: z.looseObject({}).optional(),
});
const fileSchema = z.object({ version: z.literal(1), sources: z.array(entrySchema) });

export interface RegistrySettings {
  dataDir: string;
  /** How listed URLs are downloaded (and the size cap for files of folders too). */
  downloads: DownloadSettings;
}

export const registrySettings = (config: Config): RegistrySettings => ({
  dataDir: config.LOOKALIKE_DATA_DIR,
  downloads: downloadSettings(config),
});

/**
 * The sources lookalike has indexed, in `<data dir>/sources.json`, each with its last run; the full last
 * report of each is in `<data dir>/reports/`. Writers take a lock file and replace files atomically
 * (temporary file + rename), so concurrent runs never lose an entry and readers never see half a file.
 */
export class SourceRegistry {
  private readonly sources: LockedJsonFile<{ version: 1; sources: SourceEntry[] }>;
  private readonly reportsDir: string;

  constructor(private readonly settings: RegistrySettings) {
    this.sources = new LockedJsonFile(
      path.join(settings.dataDir, 'sources.json'),
      (json) => fileSchema.parse(json) as { version: 1; sources: SourceEntry[] },
      { version: 1, sources: [] },
      'source list',
    );
    this.reportsDir = path.join(settings.dataDir, 'reports');
  }

  get file(): string {
    return this.sources.file;
  }

  /** Every recorded source, or one tenant's. */
  async list(tenant?: string): Promise<SourceEntry[]> {
    const entries = await this.read();
    return tenant === undefined ? entries : entries.filter((e) => e.tenant === tenant);
  }

  async get(id: string): Promise<SourceEntry | undefined> {
    return (await this.read()).find((e) => e.id === id);
  }

  /** Records a run of a source (adding the source when new): its report, or the error that stopped it. */
  async record(
    source: SourceDescriptor,
    outcome: { report: IndexReport } | { error: string },
  ): Promise<SourceEntry> {
    const at = new Date().toISOString();
    const lastRun = 'report' in outcome ? summarise(outcome.report, at) : errorSummary(outcome.error, at);
    if ('report' in outcome)
      await writeAtomically(this.reportFile(source.id), JSON.stringify(outcome.report, null, 2));
    const entry: SourceEntry = { ...descriptorOf(source), lastRunAt: at, lastRun };
    await this.sources.update(({ sources }) => {
      const entries = [...sources.filter((e) => e.id !== source.id), entry];
      entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { version: 1, sources: entries };
    });
    return entry;
  }

  /** Opens a recorded (or described) folder or URL list for indexing. */
  async open(source: SourceDescriptor): Promise<ImageSource> {
    if (source.kind === 'chat') {
      throw new InputError(source.path, 'a chat channel is walked by its platform: use /channels reindex');
    }
    if (source.kind === 'folder') {
      return openFolderSource({
        root: source.path,
        tenant: source.tenant,
        ...(source.include && { include: source.include }),
        ...(source.exclude && { exclude: source.exclude }),
        maxBytes: this.settings.downloads.maxBytes,
      });
    }
    return openUrlListSource({ listPath: source.path, tenant: source.tenant, ...this.settings.downloads });
  }

  /** The full report of a source's last completed run. */
  async report(id: string): Promise<IndexReport | undefined> {
    try {
      return JSON.parse(await readFile(this.reportFile(id), 'utf8')) as IndexReport;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ServiceError(
        'source registry',
        `cannot read the report of ${id}: ${(error as Error).message}`,
      );
    }
  }

  /** The full report of the tenant's most recently run source. */
  async lastReport(tenant: string): Promise<IndexReport | undefined> {
    const latest = (await this.list(tenant))
      .filter((e) => e.lastRunAt !== undefined)
      .sort((a, b) => ((a.lastRunAt as string) < (b.lastRunAt as string) ? 1 : -1))[0];
    return latest ? this.report(latest.id) : undefined;
  }

  private reportFile(id: string): string {
    return path.join(this.reportsDir, `${createHash('sha256').update(id).digest('hex').slice(0, 24)}.json`);
  }

  private async read(): Promise<SourceEntry[]> {
    return (await this.sources.read()).sources;
  }
}

export const openSourceRegistry = (config: Config) => new SourceRegistry(registrySettings(config));

/** Describes a command-line argument as a source: a folder, or a file taken as a URL list. */
export async function describeSource(
  input: string,
  options: { tenant: string; include?: string[]; exclude?: string[] },
): Promise<SourceDescriptor> {
  const absolute = path.resolve(input);
  const info = await stat(absolute).catch(() => undefined);
  if (!info)
    throw new InputError(input, 'does not exist (give a folder of images or a text file of image URLs)');
  const kind = (await isDirectory(absolute)) ? 'folder' : 'urls';
  if (kind === 'urls' && (options.include?.length || options.exclude?.length)) {
    throw new InputError('--include/--exclude', 'apply to folders only, not to a URL list');
  }
  return descriptorOf({
    id: kind === 'folder' ? folderSourceId(absolute) : urlListSourceId(absolute),
    kind,
    path: absolute,
    tenant: options.tenant,
    ...(kind === 'folder' && options.include?.length && { include: options.include }),
    ...(kind === 'folder' && options.exclude?.length && { exclude: options.exclude }),
  });
}

function descriptorOf(source: SourceDescriptor): SourceDescriptor {
  const { id, kind, path: where, tenant, include, exclude } = source;
  return { id, kind, path: where, tenant, ...(include && { include }), ...(exclude && { exclude }) };
}

function summarise(report: IndexReport, at: string): RunSummary {
  return {
    jobId: report.jobId,
    at,
    new: report.new,
    updated: report.updated,
    unchanged: report.unchanged,
    deleted: report.deleted,
    failed: report.failed.length,
    skipped: report.skipped?.length ?? 0,
    durationMs: report.durationMs,
    full: report.full,
    ...(report.shard && { shard: report.shard }),
    failures: report.failed.slice(0, failuresInSummary),
  };
}

function errorSummary(error: string, at: string): RunSummary {
  return { at, new: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0, skipped: 0, failures: [], error };
}
