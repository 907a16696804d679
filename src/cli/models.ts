import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../config/load.js';
import { defaultModelDir, type Config } from '../config/schema.js';
import { clipFiles, defaultClipRepo, textModelFiles } from '../model/catalog.js';
import type { Precision } from '../model/folder.js';
import { fetchHubFiles, type FetchProgress, type HubFile } from '../model/hub.js';
import { ServiceError } from '../util/errors.js';

const precisions: Precision[] = ['fp32', 'fp16', 'quantized'];

interface FetchRequest {
  repo: string;
  files: HubFile[];
  dir: string;
}

/** `lookalike models fetch`: downloads the default CLIP (and optionally a multilingual text encoder). */
export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('Download the ONNX models lookalike uses');
  models
    .command('fetch')
    .description(
      `Download ${defaultClipRepo} (the default model) from LOOKALIKE_MODEL_HUB_URL into the cache`,
    )
    .option('--precision <precision>', 'fp32 | fp16 | quantized | all (default: LOOKALIKE_PRECISION)')
    .option('--repo <repo>', 'the CLIP repository to fetch', defaultClipRepo)
    .option('--dir <dir>', 'where to put it (default: LOOKALIKE_MODEL_DIR, else the cache folder)')
    .option(
      '--multilingual <repo>',
      'also fetch a text encoder exported by scripts/export-onnx.py --multilingual (use with LOOKALIKE_TEXT_MODEL_DIR)',
    )
    .option('--manifest <file>', "JSON object of expected sha256 per file path, checked instead of the hub's")
    .action(
      async (options: {
        precision?: string;
        repo: string;
        dir?: string;
        multilingual?: string;
        manifest?: string;
      }) => {
        const config = loadConfig();
        const chosen = choosePrecisions(options.precision ?? config.LOOKALIKE_PRECISION);
        const manifest = options.manifest ? await readManifest(options.manifest) : {};
        const withSums = (files: HubFile[]) =>
          files.map((f) => ({ ...f, sha256: manifest[f.path] ?? f.sha256 }));
        const clipDir = options.dir ?? defaultModelDir(config);
        await fetchModel(config, { repo: options.repo, files: withSums(clipFiles(chosen)), dir: clipDir });
        console.log(`model ready: ${clipDir}`);
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

/**
 * Called on first start: fetches the default model when no model folder is configured and none is cached.
 * A configured LOOKALIKE_MODEL_DIR that does not exist is an error, never a download target.
 */
export async function ensureModels(config: Config): Promise<void> {
  const dir = defaultModelDir(config);
  if (existsSync(dir)) return;
  if (config.LOOKALIKE_MODEL_DIR) {
    throw new ServiceError('model', `LOOKALIKE_MODEL_DIR=${dir} does not exist`);
  }
  console.error(`lookalike: first start, downloading ${defaultClipRepo} into ${dir}`);
  await fetchModel(config, { repo: defaultClipRepo, files: clipFiles([config.LOOKALIKE_PRECISION]), dir });
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
