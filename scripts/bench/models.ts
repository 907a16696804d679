// Catalog models side by side on this machine: memory, images/s end to end, text query ms, beside the published
// recall. Full-size graphs with random weights (scripts/export-onnx.py --random-init / --open-clip F --size full)
// compute exactly what the published weights do. Each model runs in its own process so memory is its own.
// Results: bench/models.md + bench/models.json.
//
//   node bin/run-ts.js scripts/bench/models.ts --model openai-vit-b32=DIR[@quantized] --model laion2b-vit-b32=DIR ...
//       [--images 64] [--batch 16] [--queries 24] [--threads N] [--out bench] [--python PYTHON]
// --python also counts each graph's multiply-accumulates (scripts/bench/graph_macs.py, needs `onnx`): compute that
// does not depend on what else the machine runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { catalogModel } from '../../src/model/catalog.js';
import type { Precision } from '../../src/model/folder.js';
import { createEmbedder } from '../../src/model/index.js';
import { openModelParts } from '../../src/model/parts.js';

const root = path.resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', multiple: true, default: [] },
    one: { type: 'string' },
    images: { type: 'string', default: '64' },
    batch: { type: 'string', default: '16' },
    queries: { type: 'string', default: '24' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    out: { type: 'string', default: path.join(root, 'bench') },
    python: { type: 'string' },
  },
});

interface Measured {
  name: string;
  precision: Precision;
  dir: string;
  graphMiB: number;
  dims: number;
  loadSeconds: number;
  rssAfterLoadMiB: number;
  peakRssMiB: number;
  imagesPerSecond: number;
  textMedianMs: number;
  loadAverage: number[];
  /** Multiply-accumulates (10^9) per image and per query at the text graph's length, when counted. */
  imageGmacs?: number;
  textGmacs?: number;
}

const queries = [
  'a photo of a cat',
  'snowy mountain at sunrise',
  'a red car parked on a wet street at night',
  'two children playing football on the beach',
  'birthday cake with candles',
  'ein Hund im Schnee',
  'un chat sur un canapé',
  'собака в парке',
];

/** `name=DIR` or `name=DIR@precision`. */
function parseModel(spec: string): { name: string; dir: string; precision: Precision } {
  const [name, rest] = spec.split('=') as [string, string | undefined];
  if (!rest) throw new Error(`--model ${spec}: expected name=DIR[@precision]`);
  const [dir, precision = 'fp32'] = rest.split('@') as [string, string | undefined];
  catalogModel(name);
  return { name, dir: path.resolve(dir), precision: precision as Precision };
}

async function folderMiB(dir: string, precision: Precision): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.onnx')) continue;
    const variant = entry.name.includes('_quantized')
      ? 'quantized'
      : entry.name.includes('_fp16')
        ? 'fp16'
        : 'fp32';
    if (variant === precision) bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return bytes / 1048576;
}

const mib = (bytes: number) => Math.round(bytes / 1048576);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** One model, in this process: the child side. */
async function measureOne(spec: string): Promise<Measured> {
  const { name, dir, precision } = parseModel(spec);
  sharp.concurrency(1);
  const batchSize = Number(args.batch);
  const started = performance.now();
  const embedder = await createEmbedder({
    modelDir: dir,
    precision,
    threads: Number(args.threads),
    limits: { maxBytes: 50 * 1024 * 1024, maxPixels: 100_000_000 },
    batchSize,
  });
  const loadSeconds = (performance.now() - started) / 1000;
  const rssAfterLoadMiB = mib(process.memoryUsage().rss);
  const photos = [
    'photo-china.jpg',
    'photo-flower.jpg',
    'photo-cat.jpg',
    'photo-coffee.jpg',
    'photo-coffee.webp',
  ];
  const inputs = Array.from({ length: Number(args.images) }, (_, i) => {
    const file = path.join(root, 'test/fixtures/images', photos[i % photos.length] as string);
    return { name: `${i}-${path.basename(file)}`, path: file };
  });
  await embedder.embedImages(inputs.slice(0, batchSize)); // warm-up
  const t0 = performance.now();
  for (const outcome of await embedder.embedImages(inputs))
    if (!(outcome instanceof Float32Array)) throw outcome;
  const imagesPerSecond = inputs.length / ((performance.now() - t0) / 1000);
  await embedder.embedTexts([queries[0] as string]);
  const textMs: number[] = [];
  for (let i = 0; i < Number(args.queries); i++) {
    const t = performance.now();
    await embedder.embedTexts([queries[i % queries.length] as string]);
    textMs.push(performance.now() - t);
  }
  const dims = embedder.dims;
  await embedder.close();
  const parts = await openModelParts(dir, undefined, precision);
  const macs = args.python
    ? execFileSync(
        args.python,
        [
          path.join(root, 'scripts/bench/graph_macs.py'),
          parts.vision.graph,
          `${parts.text.graph}:${parts.text.tokenizer.maxLength}`,
        ],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { gmacs: number }).gmacs)
    : [];
  return {
    name,
    precision,
    dir,
    graphMiB: Math.round(await folderMiB(dir, precision)),
    dims,
    loadSeconds: Math.round(loadSeconds * 10) / 10,
    rssAfterLoadMiB,
    // maxRSS is in KiB; it includes the worker threads that hold the sessions.
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    imagesPerSecond: Math.round(imagesPerSecond * 10) / 10,
    textMedianMs: Math.round(median(textMs) * 10) / 10,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    ...(macs.length === 2 && { imageGmacs: macs[0], textGmacs: macs[1] }),
  };
}

function markdown(rows: Measured[], command: string): string {
  const line = (r: Measured) => {
    const model = catalogModel(r.name);
    const recall = model.recall ? model.recall.value.toFixed(1) : '—';
    const gmacs = r.imageGmacs === undefined ? '—' : `${r.imageGmacs} / ${r.textGmacs}`;
    return `| ${r.name} | ${r.precision} | ${r.dims} | ${r.graphMiB} | ${r.peakRssMiB} | ${gmacs} | ${r.imagesPerSecond} | ${r.textMedianMs} | ${recall} | ${r.loadAverage[0]} |`;
  };
  return [
    '# Catalog models on this machine',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, ${args.threads} onnxruntime threads,`,
    `batch ${args.batch}, ${args.images} fixture photos (640x427 .. 600x400) end to end (read, decode, preprocess,`,
    `infer), text: median of ${args.queries} single queries. Graphs: full size, random weights (same compute and`,
    'memory as the published ones); the machine was shared with other jobs: the load average is beside each row.',
    '',
    '| model | precision | dims | graphs MiB | peak RSS MiB | GMACs image / text | images/s | text ms | recall | load avg (1 min) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(line),
    '',
    "recall: Crossmodal-3600 text-to-image, English, mean of R@1/5/10, from immich's model table as quoted in issue #13.",
    '',
  ].join('\n');
}

async function main() {
  if (args.one) {
    process.stdout.write(`${JSON.stringify(await measureOne(args.one))}\n`);
    return;
  }
  const rows: Measured[] = [];
  for (const spec of args.model) {
    parseModel(spec);
    const child = spawnSync(
      process.execPath,
      [
        'bin/run-ts.js',
        'scripts/bench/models.ts',
        '--one',
        spec,
        '--images',
        args.images,
        '--batch',
        args.batch,
        '--queries',
        args.queries,
        '--threads',
        args.threads,
        ...(args.python ? ['--python', args.python] : []),
      ],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (child.status !== 0) throw new Error(`${spec}: exited ${child.status}`);
    const row = JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as Measured;
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  const command = `node bin/run-ts.js scripts/bench/models.ts ${process.argv.slice(2).join(' ')}`;
  await writeFile(path.join(args.out, 'models.json'), `${JSON.stringify({ command, rows }, null, 2)}\n`);
  await writeFile(path.join(args.out, 'models.md'), markdown(rows, command));
  execFileSync('npx', ['prettier', '--write', path.join(args.out, 'models.md')], { cwd: root });
}

await main();
