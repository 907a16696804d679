// Embedder benchmark: images/s end to end (read + decode + preprocess + inference) at several batch sizes beside
// the bare onnxruntime session on pre-made tensors and the Python reference (transformers CLIPModel in torch,
// PIL + CLIPImageProcessor, scripts/bench/py_embed_reference.py); text queries/s; quantized vs fp32; and how
// close our vectors and pixels are to the reference on the same photos. Results: bench/embedder.md + .json.
//
//   node bin/run-ts.js scripts/bench/embedder.ts --model /work/models/clip-vit-b32-random [--images DIR]
//       [--count 256] [--batches 1,8,32] [--threads N] [--queries 64] [--rounds 4] [--no-python] [--out bench]
//
// Without --images, --count photo-like JPEGs (640x480 .. 2000x1500) are made from the fixture photos in a
// temporary folder. LOOKALIKE_PYTHON picks the interpreter (default /root/pyref/bin/python).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { graphFile, type Precision } from '../../src/model/folder.js';
import { createEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';

const root = path.resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: '/work/models/clip-vit-b32-random' },
    images: { type: 'string' },
    count: { type: 'string', default: '256' },
    batches: { type: 'string', default: '1,8,32' },
    threads: { type: 'string', default: process.env.LOOKALIKE_THREADS ?? String(os.availableParallelism()) },
    queries: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '4' },
    'no-python': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'bench') },
  },
});
const modelDir = path.resolve(args.model);
const count = Number(args.count);
const batches = args.batches.split(',').map(Number);
const threads = Number(args.threads);
const rounds = Number(args.rounds);
const python = process.env.LOOKALIKE_PYTHON ?? '/root/pyref/bin/python';
const limits = { maxBytes: 50 * 1024 * 1024, maxPixels: 100_000_000 };
// sharp.concurrency as openEmbedder sets it.
sharp.concurrency(1);

// ---------- inputs ----------

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Photo-like JPEGs: crops of the fixture photos, resized, recoloured and re-encoded at camera-like sizes. */
async function makeImages(dir: string, n: number): Promise<string[]> {
  const random = seeded(42);
  const sources = ['photo-china.jpg', 'photo-flower.jpg', 'photo-cat.jpg', 'photo-coffee.jpg'].map((f) =>
    path.join(root, 'test/fixtures/images', f),
  );
  const aspects = [4 / 3, 3 / 2, 3 / 4, 16 / 9, 1];
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const source = sources[i % sources.length] as string;
    const meta = await sharp(source).metadata();
    const [sw, sh] = [meta.width as number, meta.height as number];
    const cropW = Math.round(sw * (0.6 + 0.4 * random()));
    const cropH = Math.round(sh * (0.6 + 0.4 * random()));
    const left = Math.floor(random() * (sw - cropW));
    const top = Math.floor(random() * (sh - cropH));
    const long = 640 + random() * 1360;
    const aspect = aspects[Math.floor(random() * aspects.length)] as number;
    const [w, h] = aspect >= 1 ? [long, long / aspect] : [long * aspect, long];
    const grow = Math.max(1, 480 / Math.min(w, h)); // no side under 480
    const file = path.join(dir, `photo-${String(i).padStart(4, '0')}.jpg`);
    await sharp(source)
      .extract({ left, top, width: cropW, height: cropH })
      .resize(Math.round(w * grow), Math.round(h * grow), { fit: 'fill', kernel: 'lanczos3' })
      .modulate({
        brightness: 0.8 + 0.4 * random(),
        saturation: 0.7 + 0.6 * random(),
        hue: Math.floor(random() * 40) - 20,
      })
      .sharpen({ sigma: 0.5 + random() })
      .jpeg({ quality: 80 + Math.floor(random() * 16) })
      .toFile(file);
    files.push(file);
  }
  return files;
}

async function listImages(dir: string, n: number): Promise<string[]> {
  const names = (await readdir(dir)).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
  if (names.length === 0) throw new Error(`${dir}: no JPEG, PNG or WebP files`);
  return Array.from({ length: Math.min(n, names.length) }, (_, i) => path.join(dir, names[i] as string));
}

const queries = Array.from({ length: Number(args.queries) }, (_, i) => {
  const things = [
    'a cat',
    'snowy mountain',
    'red flower',
    'coffee cup',
    'old temple',
    'a dog on a beach',
    'city at night',
  ];
  const how = [
    'at sunrise',
    'in the rain',
    'close up',
    'from above',
    'with a person in front',
    'black and white',
  ];
  return `${things[i % things.length]} ${how[Math.floor(i / things.length) % how.length]}`;
});

// ---------- measurements ----------

const seconds = async (work: () => Promise<unknown>) => {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
};

/** A bare onnxruntime session: the embedder's session options, one pre-made tensor of `batch` images. */
async function bareSession(batch: number, precision: Precision) {
  const session = await ort.InferenceSession.create(
    path.join(modelDir, graphFile('vision_model', precision)),
    {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    },
  );
  const random = seeded(7);
  const data = Float32Array.from({ length: batch * 3 * 224 * 224 }, () => random() * 4 - 2);
  const feeds = { pixel_values: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
  await session.run(feeds);
  return {
    /** Runs enough batches for `images` images; returns how many it did. */
    async run(images: number) {
      const runs = Math.ceil(images / batch);
      for (let r = 0; r < runs; r++) await session.run(feeds);
      return runs * batch;
    },
    release: () => session.release(),
  };
}

const open = (precision: Precision, batchSize: number) =>
  createEmbedder({ modelDir, precision, threads, limits, batchSize });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * End to end and bare session in alternating rounds (each round a slice of the images), so both see the same
 * machine: other work on a shared machine shifts both alike, and the per-round ratio stays meaningful.
 */
async function imagesPerSecond(files: string[], batch: number, precision: Precision) {
  const embedder = await open(precision, batch);
  const bare = await bareSession(batch, precision);
  const inputs = files.map((file) => ({ name: path.basename(file), path: file }));
  await embedder.embedImages(inputs.slice(0, batch)); // warm-up
  const chunk = Math.ceil(files.length / rounds);
  const vectors: Float32Array[] = [];
  const totals = { bareImages: 0, bareSeconds: 0, e2eSeconds: 0 };
  const ratios: number[] = [];
  for (let start = 0; start < files.length; start += chunk) {
    const slice = inputs.slice(start, start + chunk);
    let bareImages = 0;
    const bareSeconds = await seconds(async () => (bareImages = await bare.run(slice.length)));
    const e2eSeconds = await seconds(async () => {
      for (const outcome of await embedder.embedImages(slice)) {
        if (!(outcome instanceof Float32Array)) throw outcome;
        vectors.push(outcome);
      }
    });
    totals.bareImages += bareImages;
    totals.bareSeconds += bareSeconds;
    totals.e2eSeconds += e2eSeconds;
    ratios.push(slice.length / e2eSeconds / (bareImages / bareSeconds));
  }
  await bare.release();
  return {
    embedder,
    vectors,
    bare: totals.bareImages / totals.bareSeconds,
    endToEnd: files.length / totals.e2eSeconds,
    medianRoundRatio: median(ratios),
  };
}

async function textQueries(embedder: Embedder) {
  await embedder.embedTexts([queries[0] as string]);
  const vectors: Float32Array[] = [];
  const elapsed = await seconds(async () => {
    for (const q of queries) vectors.push((await embedder.embedTexts([q]))[0] as Float32Array);
  });
  return { queriesPerSecond: queries.length / elapsed, vectors };
}

interface PythonResult {
  images_per_s: number;
  texts_per_s?: number;
  weights: string;
  versions: Record<string, string>;
}

async function pythonReference(files: string[], batch: number, work: string, extras: boolean) {
  const list = path.join(work, 'images.txt');
  await writeFile(list, files.join('\n'));
  const argv = [
    path.join(root, 'scripts/bench/py_embed_reference.py'),
    ...['--model', modelDir, '--images-file', list, '--batch', String(batch), '--threads', String(threads)],
  ];
  if (extras) {
    await writeFile(path.join(work, 'texts.json'), JSON.stringify(queries));
    argv.push(
      '--texts-file',
      path.join(work, 'texts.json'),
      '--embeddings-out',
      path.join(work, 'vectors.f32'),
    );
    argv.push(
      '--pixels-out',
      path.join(work, 'pixels.f32'),
      '--pixels-count',
      String(Math.min(16, files.length)),
    );
  }
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const { stdout } = await promisify(execFile)(python, argv, { env, maxBuffer: 1 << 24 });
  return JSON.parse(stdout) as PythonResult;
}

const readFloats = async (file: string) => {
  const bytes = await readFile(file);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
};

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

/** Cosines per pair; "centred" subtracts the mean vector first (random weights map all images near one direction). */
function agreement(ours: Float32Array[], theirs: Float32Array[]) {
  const dims = (ours[0] as Float32Array).length;
  const mean = new Float64Array(dims);
  for (const v of theirs) v.forEach((x, d) => (mean[d] = (mean[d] as number) + x / theirs.length));
  const centre = (v: Float32Array) => Float64Array.from(v, (x, d) => x - (mean[d] as number));
  const plain = ours.map((v, i) => cosine(v, theirs[i] as Float32Array));
  const centred = ours.map((v, i) => cosine(centre(v), centre(theirs[i] as Float32Array)));
  const stats = (xs: number[]) => ({ min: Math.min(...xs), mean: xs.reduce((a, b) => a + b, 0) / xs.length });
  return { cosine: stats(plain), centredCosine: stats(centred) };
}

/** Our model input against the reference's, in grey levels (the normalisation undone). */
async function pixelDifference(embedder: Embedder, files: string[], reference: Float32Array) {
  const config = JSON.parse(await readFile(path.join(modelDir, 'preprocessor_config.json'), 'utf8'));
  const std = config.image_std as number[];
  const plane = 224 * 224;
  const perImage = [];
  for (let i = 0; i < reference.length / (3 * plane); i++) {
    const file = files[i] as string;
    const prepared = await embedder.prepareImage({ name: file, path: file });
    let max = 0;
    let sum = 0;
    for (let k = 0; k < 3 * plane; k++) {
      const diff = Math.abs((prepared.pixels[k] as number) - (reference[i * 3 * plane + k] as number));
      const levels = diff * (std[Math.floor(k / plane)] as number) * 255;
      max = Math.max(max, levels);
      sum += levels;
    }
    perImage.push({
      file: path.basename(file),
      size: `${prepared.width}x${prepared.height}`,
      max,
      mean: sum / (3 * plane),
    });
  }
  return perImage;
}

interface Report {
  command: string;
  started: string;
  machine: {
    cpu?: string;
    cores: number;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    node: string;
    onnxruntime?: string;
    sharp: string;
    libvips: string;
  };
  model: string;
  threads: number;
  images: { count: number; source: string; megapixels: { min: number; max: number; mean: number } };
  queries: number;
  rows: {
    batch: number;
    bareImagesPerSecond: number;
    endToEndImagesPerSecond: number;
    endToEndOverBare: number;
    medianRoundEndToEndOverBare: number;
    pythonImagesPerSecond?: number;
    endToEndOverPython?: number;
    textQueriesPerSecond?: number;
    pythonTextQueriesPerSecond?: number;
  }[];
  quantized: {
    batch: number;
    endToEndImagesPerSecond: number;
    bareImagesPerSecond: number;
    speedupOverFp32?: number;
    textQueriesPerSecond: number;
    imageAgreementWithFp32: ReturnType<typeof agreement>;
    textAgreementWithFp32?: ReturnType<typeof agreement>;
  };
  referenceAgreement?: ReturnType<typeof agreement>;
  pixelDifferenceGreyLevels?: { file: string; size: string; max: number; mean: number }[];
  python?: { interpreter: string; weights: string; versions: Record<string, string> };
  targets: { endToEndOverPython: number; endToEndOverBare: number };
}

// ---------- run ----------

async function main() {
  const work = await mkdtemp(path.join(os.tmpdir(), 'lookalike-bench-embedder-'));
  try {
    const started = new Date().toISOString();
    const loadBefore = os.loadavg();
    const files = args.images
      ? await listImages(path.resolve(args.images), count)
      : await makeImages(work, count);
    const sizes = await Promise.all(files.map(async (f) => sharp(f).metadata()));
    const pixels = sizes.map((m) => (m.width as number) * (m.height as number));
    console.error(`${files.length} images, ${threads} threads, model ${modelDir}`);

    const rows = [];
    let fp32Vectors: Float32Array[] = [];
    let fp32Texts: Float32Array[] = [];
    let accuracy;
    let pixelCheck;
    let pythonInfo: PythonResult | undefined;
    for (const batch of batches) {
      const measured = await imagesPerSecond(files, batch, 'fp32');
      const extras = batch === batches[0];
      const text = extras ? await textQueries(measured.embedder) : undefined;
      let py: PythonResult | undefined;
      if (!args['no-python']) {
        console.error(`python reference, batch ${batch}...`);
        py = await pythonReference(files, batch, work, extras);
        if (extras) {
          pythonInfo = py;
          const theirs = await readFloats(path.join(work, 'vectors.f32'));
          const dims = (measured.vectors[0] as Float32Array).length;
          accuracy = agreement(
            measured.vectors,
            files.map((_, i) => theirs.slice(i * dims, (i + 1) * dims)),
          );
          pixelCheck = await pixelDifference(
            measured.embedder,
            files,
            await readFloats(path.join(work, 'pixels.f32')),
          );
        }
      }
      await measured.embedder.close();
      if (extras) {
        fp32Vectors = measured.vectors;
        fp32Texts = text?.vectors ?? [];
      }
      const row = {
        batch,
        bareImagesPerSecond: measured.bare,
        endToEndImagesPerSecond: measured.endToEnd,
        endToEndOverBare: measured.endToEnd / measured.bare,
        medianRoundEndToEndOverBare: measured.medianRoundRatio,
        pythonImagesPerSecond: py?.images_per_s,
        endToEndOverPython: py ? measured.endToEnd / py.images_per_s : undefined,
        textQueriesPerSecond: text?.queriesPerSecond,
        pythonTextQueriesPerSecond: py?.texts_per_s,
      };
      console.error(JSON.stringify(row));
      rows.push(row);
    }

    // Quantized against fp32 at the middle batch size.
    const qBatch = batches[Math.floor(batches.length / 2)] as number;
    const quantized = await imagesPerSecond(files, qBatch, 'quantized');
    const qText = await textQueries(quantized.embedder);
    await quantized.embedder.close();
    const fp32Row = rows.find((r) => r.batch === qBatch);
    const quantizedReport = {
      batch: qBatch,
      endToEndImagesPerSecond: quantized.endToEnd,
      bareImagesPerSecond: quantized.bare,
      speedupOverFp32: fp32Row ? quantized.endToEnd / fp32Row.endToEndImagesPerSecond : undefined,
      textQueriesPerSecond: qText.queriesPerSecond,
      imageAgreementWithFp32: agreement(quantized.vectors, fp32Vectors),
      textAgreementWithFp32: fp32Texts.length ? agreement(qText.vectors, fp32Texts) : undefined,
    };

    const report: Report = {
      command: `node bin/run-ts.js scripts/bench/embedder.ts ${process.argv.slice(2).join(' ')}`.trim(),
      started,
      machine: {
        cpu: os.cpus()[0]?.model,
        cores: os.availableParallelism(),
        loadAverageBefore: loadBefore,
        loadAverageAfter: os.loadavg(),
        node: process.version,
        onnxruntime: ort.env.versions.node,
        sharp: sharp.versions.sharp,
        libvips: sharp.versions.vips,
      },
      model: modelDir,
      threads,
      images: {
        count: files.length,
        source: args.images ? path.resolve(args.images) : 'generated from the fixture photos (seed 42)',
        megapixels: {
          min: Math.min(...pixels) / 1e6,
          max: Math.max(...pixels) / 1e6,
          mean: pixels.reduce((a, b) => a + b) / pixels.length / 1e6,
        },
      },
      queries: queries.length,
      rows,
      quantized: quantizedReport,
      referenceAgreement: accuracy,
      pixelDifferenceGreyLevels: pixelCheck,
      python: pythonInfo
        ? { interpreter: python, weights: pythonInfo.weights, versions: pythonInfo.versions }
        : undefined,
      targets: { endToEndOverPython: 3, endToEndOverBare: 0.85 },
    };
    await mkdir(args.out, { recursive: true });
    await writeFile(path.join(args.out, 'embedder.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(path.join(args.out, 'embedder.md'), markdown(report));
    console.error(`wrote ${path.join(args.out, 'embedder.md')} and embedder.json`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const f = (x: number | undefined, digits = 1) => (x === undefined ? '—' : x.toFixed(digits));

function markdown(r: Report): string {
  const m = r.machine;
  const lines = [
    '# Embedder benchmark',
    '',
    `\`${r.command}\``,
    '',
    `${r.started} · ${m.cpu ?? 'cpu'} · ${m.cores} cores · load average ${m.loadAverageBefore.map((x) => x.toFixed(1)).join(' ')} before, ${m.loadAverageAfter.map((x) => x.toFixed(1)).join(' ')} after · Node ${m.node} · onnxruntime-node ${m.onnxruntime} · sharp ${m.sharp} (libvips ${m.libvips})`,
    '',
    `Model \`${r.model}\`, ${r.threads} inference threads (torch too). ${r.images.count} JPEGs (${r.images.source}), ${f(r.images.megapixels.min, 2)}–${f(r.images.megapixels.max, 2)} MP, mean ${f(r.images.megapixels.mean, 2)} MP.`,
    r.python
      ? `Python reference: ${r.python.interpreter}, ${Object.entries(r.python.versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; weights: ${r.python.weights}.`
      : 'Python reference not run.',
    '',
    '## Images per second (fp32)',
    '',
    'End to end = read file + decode + preprocess + inference, next batch decoded while the current one runs. Bare = `session.run` alone on a pre-made tensor of the same batch size. The two alternate in rounds over slices of the images (median of the per-round ratios beside the overall one). Python = CLIPModel in torch with PIL + CLIPImageProcessor (PIL backend), same images, same thread count.',
    '',
    '| batch | end to end | bare session | end to end / bare (target ≥ 0.85) | median of rounds | Python reference | end to end / Python (target ≥ 3) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.rows.map(
      (row) =>
        `| ${row.batch} | ${f(row.endToEndImagesPerSecond)} | ${f(row.bareImagesPerSecond)} | ${f(row.endToEndOverBare, 2)} | ${f(row.medianRoundEndToEndOverBare, 2)} | ${f(row.pythonImagesPerSecond)} | ${f(row.endToEndOverPython, 2)} |`,
    ),
    '',
    '## Text queries per second (one query at a time)',
    '',
    ...r.rows
      .filter((row) => row.textQueriesPerSecond !== undefined)
      .map(
        (row) =>
          `${r.queries} queries: ${f(row.textQueriesPerSecond)} / s here, ${f(row.pythonTextQueriesPerSecond)} / s Python (ratio ${row.pythonTextQueriesPerSecond ? f((row.textQueriesPerSecond as number) / row.pythonTextQueriesPerSecond, 2) : '—'}).`,
      ),
    '',
    '## Quantized (uint8 weights) against fp32',
    '',
    `Batch ${r.quantized.batch}: ${f(r.quantized.endToEndImagesPerSecond)} images/s end to end (bare ${f(r.quantized.bareImagesPerSecond)}), ${f(r.quantized.speedupOverFp32, 2)}× fp32; ${f(r.quantized.textQueriesPerSecond)} text queries/s.`,
    `Image vectors vs fp32: cosine min ${f(r.quantized.imageAgreementWithFp32.cosine.min, 5)} mean ${f(r.quantized.imageAgreementWithFp32.cosine.mean, 5)}; centred min ${f(r.quantized.imageAgreementWithFp32.centredCosine.min, 4)} mean ${f(r.quantized.imageAgreementWithFp32.centredCosine.mean, 4)}.`,
    r.quantized.textAgreementWithFp32
      ? `Text vectors vs fp32: cosine min ${f(r.quantized.textAgreementWithFp32.cosine.min, 5)} mean ${f(r.quantized.textAgreementWithFp32.cosine.mean, 5)}; centred min ${f(r.quantized.textAgreementWithFp32.centredCosine.min, 4)}.`
      : '',
    '',
  ];
  if (r.referenceAgreement && r.pixelDifferenceGreyLevels) {
    const px = r.pixelDifferenceGreyLevels;
    lines.push(
      '## Agreement with the Python reference (fp32, same photos)',
      '',
      `Image vectors: cosine min ${f(r.referenceAgreement.cosine.min, 6)} mean ${f(r.referenceAgreement.cosine.mean, 6)}; centred on the mean vector (random weights put every image near one direction): min ${f(r.referenceAgreement.centredCosine.min, 4)} mean ${f(r.referenceAgreement.centredCosine.mean, 4)}.`,
      '',
      'Model input (224×224×3) against CLIPImageProcessor, in grey levels: libvips shrinks large JPEGs partly in the DCT (shrink-on-load) before its bicubic reduce, PIL filters the full decode.',
      '',
      '| image | size | max | mean |',
      '| --- | --- | ---: | ---: |',
      ...px.map((p) => `| ${p.file} | ${p.size} | ${f(p.max, 0)} | ${f(p.mean, 2)} |`),
      '',
    );
  }
  return lines.join('\n');
}

await main();
