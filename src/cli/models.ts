import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { configuredModel } from '../model/configured.js';
import {
  catalog,
  catalogDirs,
  catalogFiles,
  catalogModel,
  defaultModelName,
  textModelFiles,
} from '../model/catalog.js';
import type { Precision } from '../model/folder.js';
import { fetchHubFiles, type FetchProgress, type HubFile } from '../model/hub.js';
import { fp32Only } from '../model/open-clip.js';
import { ServiceError } from '../util/errors.js';

const precisions: Precision[] = ['fp32', 'fp16', 'quantized'];

interface FetchRequest {
  repo: string;
  files: HubFile[];
  dir: string;
}

/** `lookalike models list` and `lookalike models fetch [name]`. */
export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('The models lookalike knows, and downloading them');
  models
    .command('list')
    .description(
      'The catalog: dims, languages, download size, published recall, installed or not, configured',
    )
    .option('--json', 'one JSON array')
    .action((options: { json?: boolean }) => {
      const rows = listModels(loadConfig());
      console.log(options.json ? JSON.stringify(rows, null, 2) : formatModels(rows));
    });
  models
    .command('fetch')
    .argument('[name]', 'a catalog model (default: LOOKALIKE_MODEL)')
    .description(
      'Download a catalog model from LOOKALIKE_MODEL_HUB_URL into the cache (resumable, checksummed)',
    )
    .option('--precision <precision>', 'fp32 | fp16 | quantized | all (default: LOOKALIKE_PRECISION)')
    .option('--repo <repo>', "fetch this repository instead of the catalog model's (same layout)")
    .option('--dir <dir>', 'where to put it (default: LOOKALIKE_MODEL_DIR, else the cache folder)')
    .option(
      '--multilingual <repo>',
      'also fetch a text encoder exported by scripts/export-onnx.py --multilingual (use with LOOKALIKE_TEXT_MODEL_DIR)',
    )
    .option('--manifest <file>', "JSON object of expected sha256 per file path, checked instead of the hub's")
    .action(
      async (
        name: string | undefined,
        options: {
          precision?: string;
          repo?: string;
          dir?: string;
          multilingual?: string;
          manifest?: string;
        },
      ) => {
        const config = loadConfig();
        const model = catalogModel(name ?? config.LOOKALIKE_MODEL);
        const chosen = choosePrecisions(options.precision ?? config.LOOKALIKE_PRECISION);
        const manifest = options.manifest ? await readManifest(options.manifest) : {};
        const withSums = (files: HubFile[]) =>
          files.map((f) => ({ ...f, sha256: manifest[f.path] ?? f.sha256 }));
        const dirs = catalogDirs(model, config.LOOKALIKE_CACHE_DIR);
        const dir = options.dir ?? config.LOOKALIKE_MODEL_DIR ?? dirs.dir;
        await fetchModel(config, {
          repo: options.repo ?? model.repo,
          files: withSums(catalogFiles(model, chosen)),
          dir,
        });
        const hint =
          model.name === config.LOOKALIKE_MODEL ? '' : ` (set LOOKALIKE_MODEL=${model.name} to use it)`;
        console.log(`model ready: ${dir}${hint}`);
        if (model.textEncoder && dirs.textDir && !existsSync(dirs.textDir)) {
          console.log(
            `its text encoder is exported, not fetched: ${model.textEncoder.export} ${dirs.textDir}`,
          );
        }
        if (options.multilingual) {
          const textDir = path.join(
            config.LOOKALIKE_CACHE_DIR,
            'models',
            path.basename(options.multilingual),
          );
          await fetchModel(config, {
            repo: options.multilingual,
            files: withSums(textModelFiles(chosen)),
            dir: textDir,
          });
          console.log(`text model ready: ${textDir} (set LOOKALIKE_TEXT_MODEL_DIR=${textDir} to use it)`);
        }
      },
    );
}

/** One row of `lookalike models list`. */
export interface ModelRow {
  name: string;
  summary: string;
  layout: string;
  repo: string;
  dims: number;
  languages: string;
  approxDownloadMiB: number;
  recall?: number;
  recallSource?: string;
  lowConfidence: number;
  installed: boolean;
  configured: boolean;
  default: boolean;
}

export function listModels(config: Config): ModelRow[] {
  const configured = configuredModel(config).model?.name;
  return catalog.map((m) => {
    const dirs = catalogDirs(m, config.LOOKALIKE_CACHE_DIR);
    return {
      name: m.name,
      summary: m.summary,
      layout: m.layout,
      repo: m.repo,
      dims: m.dims,
      languages: m.languages,
      approxDownloadMiB: Math.round(m.approxBytes / 1048576),
      ...(m.recall && { recall: m.recall.value, recallSource: m.recall.source }),
      lowConfidence: m.lowConfidence,
      installed: existsSync(dirs.dir) && (!dirs.textDir || existsSync(dirs.textDir)),
      configured: m.name === configured,
      default: m.name === defaultModelName,
    };
  });
}

function formatModels(rows: ModelRow[]): string {
  const table = [
    ['', 'name', 'dims', 'MiB', 'recall', 'installed', 'languages'],
    ...rows.map((r) => [
      r.configured ? '*' : '',
      r.name + (r.default ? ' (default)' : ''),
      String(r.dims),
      `~${r.approxDownloadMiB}`,
      r.recall === undefined ? '-' : r.recall.toFixed(1),
      r.installed ? 'yes' : 'no',
      r.languages,
    ]),
  ];
  const widths = (table[0] as string[]).map((_, c) =>
    Math.max(...table.map((row) => (row[c] as string).length)),
  );
  const lines = table.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join('  ')
      .trimEnd(),
  );
  return [
    ...lines,
    '',
    '* = configured (LOOKALIKE_MODEL). recall: Crossmodal-3600 text-to-image, English, mean of R@1/5/10 (immich).',
    'Speed and memory on 2 cores: bench/models.md.',
  ].join('\n');
}

/**
 * Called on first start: fetches the configured catalog model when no model folder is configured and none is
 * cached. A configured LOOKALIKE_MODEL_DIR that does not exist is an error, never a download target.
 */
export async function ensureModels(config: Config): Promise<void> {
  const { model, dir } = configuredModel(config);
  if (existsSync(dir)) return;
  if (!model) throw new ServiceError('model', `LOOKALIKE_MODEL_DIR=${dir} does not exist`);
  if (model.layout === 'open_clip' && config.LOOKALIKE_PRECISION !== 'fp32') {
    throw new ServiceError('model', `LOOKALIKE_MODEL=${model.name}: ${fp32Only(config.LOOKALIKE_PRECISION)}`);
  }
  console.error(`lookalike: first start, downloading ${model.name} (${model.repo}) into ${dir}`);
  await fetchModel(config, {
    repo: model.repo,
    files: catalogFiles(model, [config.LOOKALIKE_PRECISION]),
    dir,
  });
}

/**
 * A new folder is assembled next to its final place and renamed when complete, so a folder under its final name
 * is always usable; an existing folder only gains files (each renamed into place once verified).
 */
async function fetchModel(config: Config, job: FetchRequest): Promise<void> {
  const staging = existsSync(job.dir) ? job.dir : `${job.dir}.partial`;
  const progress = progressBar();
  try {
    await fetchHubFiles({
      hubUrl: config.LOOKALIKE_MODEL_HUB_URL,
      repo: job.repo,
      files: job.files,
      dest: staging,
      onProgress: progress.update,
    });
  } finally {
    progress.stop();
  }
  if (staging !== job.dir) await rename(staging, job.dir);
}

function choosePrecisions(value: string): Precision[] {
  if (value === 'all') return precisions;
  if (!precisions.includes(value as Precision)) {
    throw new ServiceError('model', `--precision ${value}: expected fp32, fp16, quantized or all`);
  }
  return [value as Precision];
}

const manifestSchema = z.record(z.string(), z.string().regex(/^[0-9a-fA-F]{64}$/, 'a sha256 in hex'));

async function readManifest(file: string): Promise<Record<string, string>> {
  try {
    return manifestSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    const why =
      error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) : error;
    throw new ServiceError(
      'model',
      `--manifest ${file}: ${why instanceof Error ? why.message : String(why)}`,
    );
  }
}

/** One bar per file on a terminal; a line per file otherwise. */
function progressBar() {
  const tty = process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: '{file} [{bar}] {percentage}% {value}/{total} MiB', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let current: string | undefined;
  const mib = (n: number) => Math.round(n / 1048576);
  return {
    update({ file, received, total }: FetchProgress) {
      if (file !== current) {
        if (current && tty) bar.stop();
        current = file;
        if (tty) bar.start(mib(total ?? received), mib(received), { file });
        else console.error(`downloading ${file}${total ? ` (${mib(total)} MiB)` : ''}`);
      }
      if (tty) {
        bar.setTotal(mib(total ?? received));
        bar.update(mib(received), { file });
      }
    },
    stop() {
      if (current && tty) bar.stop();
    },
  };
}
