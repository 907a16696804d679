// Indexer benchmark: end-to-end indexing images/s (folder walk, read, hash, decode + preprocess, batched inference,
// writes to the embedded store) on photo-like JPEGs, beside the bare inference rate of the same model at the same
// batch size and the seed's Python loop (scripts/bench/py_index_reference.py: PIL + CLIPProcessor + CLIPModel one
// image at a time, elasticsearch-py bulk). Rounds alternate the three, so load from elsewhere on a shared machine
// shifts them alike. Results: bench/indexer.md + bench/indexer.json.
//
//   node bin/run-ts.js scripts/bench/indexer.ts [--model /work/models/clip-vit-b32-random] [--count 800]
//       [--rounds 4] [--batch 16] [--concurrency N] [--precisions fp32,quantized] [--python-count 160]
//       [--images DIR] [--no-python] [--phone] [--out bench]
//
// --phone: phone-size photos instead (12 MP, 4032x3024 with sensor-like noise, half of them stored turned with
// EXIF orientation 6 as phones write them); results go to bench/indexer-phone.md + .json.
// Without --images, --count JPEGs of 640x480 .. 2000x1500 are made from the fixture photos (cropped, resized,
// recoloured, some flipped or turned) into a temporary folder; --images DIR reuses (or fills) a folder of them.
// The Python side needs Elasticsearch at ELASTICSEARCH_URL (default http://127.0.0.1:9200) and LOOKALIKE_PYTHON
// (default /root/pyref/bin/python).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { parseConfig } from '../../src/config/load.js';
import { indexSource } from '../../src/indexer/index-source.js';
import type { Precision } from '../../src/model/folder.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { openFolderSource } from '../../src/sources/folder.js';
import { openStore } from '../../src/store/open.js';
import { seeded } from './vectors.js';

const root = path.resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: '/work/models/clip-vit-b32-random' },
    count: { type: 'string', default: '800' },
    rounds: { type: 'string', default: '4' },
    batch: { type: 'string', default: '16' },
    concurrency: { type: 'string' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    'python-count': { type: 'string', default: '160' },
    images: { type: 'string' },
    precisions: { type: 'string', default: 'fp32,quantized' },
    'no-python': { type: 'boolean', default: false },
    phone: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'bench') },
  },
});
const modelDir = path.resolve(args.model);
const count = Number(args.count);
const rounds = Number(args.rounds);
const batch = Number(args.batch);
const threads = Number(args.threads);
const pythonCount = args['no-python'] ? 0 : Number(args['python-count']);
const precisions = args.precisions.split(',') as Precision[];
const elasticsearchUrl = process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200';
const python = process.env.LOOKALIKE_PYTHON ?? '/root/pyref/bin/python';
const perRound = Math.floor(count / rounds);

// The configuration the CLI would read, with the benchmark's model, threads and batch size.
const config = parseConfig({
  LOOKALIKE_MODEL_DIR: modelDir,
  LOOKALIKE_THREADS: String(threads),
  LOOKALIKE_BATCH_SIZE: String(batch),
  LOOKALIKE_STORE: 'embedded',
  ...(args.concurrency && { LOOKALIKE_CONCURRENCY: args.concurrency }),
});
const concurrency = config.LOOKALIKE_CONCURRENCY;

/** Photo-like JPEGs in `round-<r>/` folders: crops of the fixture photos at camera-like sizes and qualities. */
async function makeImages(dir: string): Promise<void> {
  if (args.phone) return makePhonePhotos(dir);
  const random = seeded(11);
  const photos = ['photo-china.jpg', 'photo-flower.jpg', 'photo-cat.jpg', 'photo-coffee.jpg'].map((f) =>
    path.join(root, 'test/fixtures/images', f),
  );
  const sizes = [
    [640, 480],
    [1024, 768],
    [1280, 960],
    [1600, 1200],
    [2000, 1500],
    [1500, 2000],
    [1920, 1080],
  ] as const;
  for (let i = 0; i < perRound * rounds; i++) {
    const file = path.join(dir, `round-${i % rounds}`, `photo-${String(i).padStart(4, '0')}.jpg`);
    if (existsSync(file)) continue;
    await mkdir(path.dirname(file), { recursive: true });
    const photo = photos[i % photos.length] as string;
    const { width, height } = await sharp(photo).metadata();
    const [w, h] = sizes[Math.floor(random() * sizes.length)] as readonly [number, number];
    const cropW = Math.round((width as number) * (0.55 + 0.45 * random()));
    const cropH = Math.round((height as number) * (0.55 + 0.45 * random()));
    let image = sharp(photo)
      .extract({
        left: Math.floor(random() * ((width as number) - cropW)),
        top: Math.floor(random() * ((height as number) - cropH)),
        width: cropW,
        height: cropH,
      })
      .resize(w, h, { fit: 'fill' })
      .modulate({
        brightness: 0.8 + 0.4 * random(),
        saturation: 0.6 + 0.8 * random(),
        hue: Math.floor(random() * 60) - 30,
      });
    if (random() < 0.3) image = image.flop();
    await image.jpeg({ quality: 75 + Math.floor(random() * 21) }).toFile(file);
  }
}

/** 12 MP JPEGs as a phone writes them: a photo, sensor-like noise, quality 90, half stored turned (orientation 6). */
async function makePhonePhotos(dir: string): Promise<void> {
  const random = seeded(12);
  const [width, height] = [4032, 3024];
  const photos = ['photo-china.jpg', 'photo-flower.jpg', 'photo-cat.jpg', 'photo-coffee.jpg'].map((f) =>
    path.join(root, 'test/fixtures/images', f),
  );
  for (let i = 0; i < perRound * rounds; i++) {
    const file = path.join(dir, `round-${i % rounds}`, `phone-${String(i).padStart(4, '0')}.jpg`);
    if (existsSync(file)) continue;
    await mkdir(path.dirname(file), { recursive: true });
    const turned = i % 2 === 1;
    const pixels = await sharp(photos[i % photos.length] as string)
      .modulate({ brightness: 0.8 + 0.4 * random(), hue: Math.floor(random() * 60) - 30 })
      .resize(width, height, { fit: 'fill' })
      .rotate(turned ? 270 : 0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const data = pixels.data;
    for (let k = 0; k < data.length; k++)
      data[k] = Math.max(0, Math.min(255, data[k]! + Math.round((random() - 0.5) * 24)));
    await sharp(data, { raw: pixels.info })
      .jpeg({ quality: 90 })
      .withMetadata({ orientation: turned ? 6 : 1 })
      .toFile(file);
  }
}

async function roundFiles(dir: string, r: number): Promise<string[]> {
  const folder = path.join(dir, `round-${r}`);
  return (await readdir(folder)).sort().map((name) => path.join(folder, name));
}

/** Bare inference: the embedder's session on one prepared image repeated to the batch size. */
async function bareRate(embedder: Embedder, sample: string, images: number): Promise<number> {
  const image = await embedder.prepareImage({ name: 'sample', path: sample });
  const prepared = Array.from({ length: batch }, () => image);
  const runs = Math.ceil(images / batch);
  const start = performance.now();
  for (let r = 0; r < runs; r++) await embedder.embedPrepared(prepared);
  return (runs * batch) / ((performance.now() - start) / 1000);
}

/** indexSource over one folder into a fresh embedded store: images/s, peak RSS, and the unchanged re-run. */
async function indexRate(embedder: Embedder, folder: string, work: string) {
  const dataDir = await mkdtemp(path.join(work, 'data-'));
  const store = await openStore({ ...config, LOOKALIKE_DATA_DIR: dataDir });
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  try {
    const source = await openFolderSource({
      root: folder,
      tenant: '*',
      maxBytes: config.LOOKALIKE_MAX_IMAGE_BYTES,
    });
    const start = performance.now();
    const report = await indexSource({ source, store, embedder, batchSize: batch, concurrency });
    const seconds = (performance.now() - start) / 1000;
    if (report.failed.length > 0)
      throw new Error(`${report.failed.length} failed, e.g. ${JSON.stringify(report.failed[0])}`);
    const again = performance.now();
    const unchanged = await indexSource({ source, store, embedder, batchSize: batch, concurrency });
    const rerunSeconds = (performance.now() - again) / 1000;
    return { rate: report.new / seconds, seconds, rerunRate: unchanged.unchanged / rerunSeconds, peakRss };
  } finally {
    clearInterval(sampler);
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function startPython() {
  const child = spawn(
    python,
    [
      path.join(root, 'scripts/bench/py_index_reference.py'),
      '--model',
      modelDir,
      '--threads',
      String(threads),
      '--elasticsearch',
      elasticsearchUrl,
    ],
    {
      env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('py_index_reference.py ended early');
    return JSON.parse(line.value as string);
  };
  const ready = (await next()) as { weights: string; versions: Record<string, string> };
  return {
    ...ready,
    async index(paths: string[], index: string): Promise<{ rate: number; modelRate: number }> {
      child.stdin.write(`${JSON.stringify({ paths, index })}\n`);
      const answer = (await next()) as { count: number; seconds: number; model_seconds: number };
      return { rate: answer.count / answer.seconds, modelRate: answer.count / answer.model_seconds };
    },
    async close() {
      child.stdin.end();
      await once(child, 'close');
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fixed = (x: number, digits = 1) => x.toFixed(digits);

interface Measured {
  bare: number;
  rate: number;
  seconds: number;
  rerunRate: number;
  peakRss: number;
}

interface Round {
  round: number;
  images: number;
  /** Per precision. */
  runs: Record<string, Measured>;
  python?: { rate: number; modelRate: number };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'lookalike-bench-indexer-'));
  const imagesDir = args.images ? path.resolve(args.images) : path.join(work, 'images');
  const embedders = new Map<Precision, Embedder>();
  let py: Awaited<ReturnType<typeof startPython>> | undefined;
  try {
    console.error(`images: ${perRound * rounds} in ${imagesDir}`);
    await makeImages(imagesDir);
    for (const precision of precisions) {
      embedders.set(precision, await openEmbedder({ ...config, LOOKALIKE_PRECISION: precision }));
    }
    py = pythonCount > 0 ? await startPython() : undefined;
    // Warm-up: one small index run per model and one Python image, so no round pays for first-use costs.
    const warm = path.join(work, 'warm');
    await mkdir(warm);
    for (const file of (await roundFiles(imagesDir, 0)).slice(0, batch)) {
      await writeFile(path.join(warm, path.basename(file)), await sharp(file).toBuffer());
    }
    for (const embedder of embedders.values()) await indexRate(embedder, warm, work);
    await py?.index((await roundFiles(imagesDir, 0)).slice(0, 2), 'lookalike-bench-py-warm');

    const results: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      const files = await roundFiles(imagesDir, r);
      const runs: Record<string, Measured> = {};
      for (const [precision, embedder] of embedders) {
        const bare = await bareRate(embedder, files[0] as string, files.length);
        runs[precision] = { bare, ...(await indexRate(embedder, path.join(imagesDir, `round-${r}`), work)) };
      }
      const python = await py?.index(
        files.slice(0, Math.ceil(pythonCount / rounds)),
        `lookalike-bench-py-${process.pid}-${r}`,
      );
      const round: Round = { round: r, images: files.length, runs, ...(python && { python }) };
      console.error(JSON.stringify(round));
      results.push(round);
    }
    const summary = Object.fromEntries(
      precisions.map((precision) => {
        const runs = results.map((x) => ({ ...(x.runs[precision] as Measured), python: x.python?.rate }));
        return [
          precision,
          {
            bare: median(runs.map((x) => x.bare)),
            indexer: median(runs.map((x) => x.rate)),
            ofBare: median(runs.map((x) => x.rate / x.bare)),
            overPython: py ? median(runs.map((x) => x.rate / (x.python as number))) : undefined,
            rerun: median(runs.map((x) => x.rerunRate)),
            peakRssMb: Math.max(...runs.map((x) => x.peakRss)) / 1e6,
          },
        ];
      }),
    ) as Record<Precision, Summary>;
    const pythonSummary = py
      ? {
          rate: median(results.map((x) => x.python?.rate as number)),
          modelRate: median(results.map((x) => x.python?.modelRate as number)),
        }
      : undefined;
    const setup: Setup = {
      command: `node bin/run-ts.js scripts/bench/indexer.ts ${process.argv.slice(2).join(' ')}`.trim(),
      date: new Date().toISOString(),
      machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, ${fixed(os.totalmem() / 2 ** 30, 0)} GiB, ${os.type()} ${os.release()}, load average at the end ${os
        .loadavg()
        .map((x) => fixed(x, 2))
        .join(' ')}`,
      node: process.version,
      model: modelDir,
      modelIds: [...embedders.values()].map((e) => e.modelId),
      threads,
      batch,
      concurrency,
      images: args.phone
        ? `${perRound * rounds} phone JPEGs, 4032x3024 with noise, half EXIF orientation 6, ${rounds} rounds of ${perRound}`
        : `${perRound * rounds} JPEGs, 640x480 to 2000x1500, ${rounds} rounds of ${perRound}`,
      ...(py && {
        python: {
          weights: py.weights,
          versions: py.versions,
          imagesPerRound: Math.ceil(pythonCount / rounds),
        },
      }),
    };
    await mkdir(args.out, { recursive: true });
    const json = { setup, summary, python: pythonSummary, rounds: results };
    const name = args.phone ? 'indexer-phone' : 'indexer';
    await writeFile(path.join(args.out, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
    const text = report(setup, summary, pythonSummary, results);
    await writeFile(path.join(args.out, `${name}.md`), text);
    console.log(text);
  } finally {
    await py?.close();
    for (const embedder of embedders.values()) await embedder.close();
    await rm(work, { recursive: true, force: true });
  }
}

interface Summary {
  bare: number;
  indexer: number;
  ofBare: number;
  overPython?: number;
  rerun: number;
  peakRssMb: number;
}

interface Setup {
  command: string;
  date: string;
  machine: string;
  node: string;
  model: string;
  modelIds: string[];
  threads: number;
  batch: number;
  concurrency: number;
  images: string;
  python?: { weights: string; versions: Record<string, string>; imagesPerRound: number };
}

/** What bounds the ratio to the Python loop: the models themselves, before any pipeline. */
function bound(
  summary: Record<Precision, Summary>,
  python: { rate: number; modelRate: number } | undefined,
): string {
  if (!python) return '';
  const lines = precisions.map(
    (p) =>
      `${p}: ${fixed(summary[p].bare / python.modelRate, 2)}x the torch model at batch 1, so at most about ` +
      `${fixed(summary[p].bare / python.rate, 1)}x the Python loop even with a free pipeline`,
  );
  return `\nThe bare model at batch ${batch} runs ${lines.join('; ')}. The indexer keeps ${precisions
    .map((p) => `${fixed(summary[p].ofBare * 100, 0)}% (${p})`)
    .join(' and ')} of that: decoding shares the cores with inference.\n`;
}

function report(
  setup: Setup,
  summary: Record<Precision, Summary>,
  python: { rate: number; modelRate: number } | undefined,
  results: Round[],
): string {
  const maybe = (x: number | undefined, digits = 1) => (x === undefined ? '-' : fixed(x, digits));
  const rows = precisions.flatMap((precision) => {
    const s = summary[precision];
    return [
      `| ${precision} | bare inference (embedPrepared, batch ${setup.batch}, one prepared image repeated) | ${fixed(s.bare)} | 1 | |`,
      `| ${precision} | **lookalike index** end to end (walk, read, sha256, decode, embed, store) | **${fixed(s.indexer)}** | **${fixed(s.ofBare, 2)}** | **${maybe(s.overPython)}x** |`,
      `| ${precision} | re-run with nothing changed (size + mtime, no reads) | ${fixed(s.rerun, 0)} | | |`,
    ];
  });
  const perRound = results.map((r) =>
    [
      r.round,
      r.images,
      ...precisions.flatMap((p) => {
        const m = r.runs[p] as Measured;
        return [
          fixed(m.bare),
          fixed(m.rate),
          fixed(m.rate / m.bare, 2),
          r.python ? fixed(m.rate / r.python.rate, 1) : '-',
        ];
      }),
      maybe(r.python?.rate),
    ].join(' | '),
  );
  return `# Indexer benchmark

\`${setup.command}\` (${setup.date})

${setup.machine}; Node ${setup.node}; ${setup.modelIds.join(', ')} (${setup.threads} inference threads); batch ${setup.batch},
concurrency ${setup.concurrency} (reads; up to a batch decodes while the model runs); ${setup.images}; each round indexed into a fresh embedded store (SQLite, synchronous FULL).

| precision | | images/s | vs bare inference | vs Python loop |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
| fp32 (torch) | seed's Python loop (PIL + CLIPProcessor + CLIPModel one image at a time, elasticsearch-py bulk) | ${maybe(python?.rate)} | | 1 |
| fp32 (torch) | its model calls alone (batch 1) | ${maybe(python?.modelRate)} | | |

Medians over rounds; ratios are taken per round (the same images, minutes apart), then the median. Peak RSS of
the indexing process: ${precisions.map((p) => `${p} ${fixed(summary[p].peakRssMb, 0)} MB`).join(', ')} (model included).
${bound(summary, python)}

| round | images | ${precisions.map((p) => `${p} bare | ${p} index | index / bare | index / Python`).join(' | ')} | Python |
| --- | --- | ${precisions.map(() => '--- | --- | --- | ---').join(' | ')} | --- |
${perRound.map((line) => `| ${line} |`).join('\n')}

Python: ${JSON.stringify(setup.python ?? 'not run')}
`;
}

await main();
