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
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { graphFile, type Precision } from '../../src/model/folder.js';
import { sessionOptions } from '../../src/model/tower.js';
import { createEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { listImages, makeImages } from './photos.js';
import { seeded } from './vectors.js';

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
    /** Only rewrite <out>/embedder.md from the embedder.json there (after a change to the report's text). */
    'render-only': { type: 'boolean', default: false },
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
    sessionOptions(threads),
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

/** Float operations per image of the vision tower (matrix products; 2 per multiply-add), from config.json. */
async function visionGflops(): Promise<number> {
  const config = JSON.parse(await readFile(path.join(modelDir, 'config.json'), 'utf8')) as {
    vision_config: {
      hidden_size: number;
      intermediate_size: number;
      num_hidden_layers: number;
      patch_size: number;
      image_size: number;
    };
  };
  const v = config.vision_config;
  const patches = (v.image_size / v.patch_size) ** 2;
  const tokens = patches + 1;
  const width = v.hidden_size;
  const perLayer =
    tokens * (4 * width * width + 2 * width * v.intermediate_size) + 2 * tokens * tokens * width;
  const patchEmbedding = patches * 3 * v.patch_size ** 2 * width;
  return (2 * (v.num_hidden_layers * perLayer + patchEmbedding)) / 1e9;
}

const open = (precision: Precision, batchSize: number) =>
  createEmbedder({ modelDir, precision, threads, limits, batchSize });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The Python reference as a child process answering timing requests (py_embed_reference.py). */
async function startPython() {
  const child = spawn(
    python,
    [
      path.join(root, 'scripts/bench/py_embed_reference.py'),
      '--model',
      modelDir,
      '--threads',
      String(threads),
    ],
    {
      // Passive waiting, like our sessions: torch's spinning OpenMP threads lose most of their time to any other
      // process on a small machine (230-750 ms instead of 33 ms per text query at load 5 on 2 cores).
      env: {
        ...process.env,
        OMP_NUM_THREADS: String(threads),
        MKL_NUM_THREADS: String(threads),
        OMP_WAIT_POLICY: 'PASSIVE',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`${python} py_embed_reference.py ended early`);
    return JSON.parse(line.value as string);
  };
  const ready = (await next()) as { weights: string; versions: Record<string, string> };
  return {
    ...ready,
    async ask(request: object): Promise<{ count: number; seconds: number }> {
      child.stdin.write(`${JSON.stringify(request)}\n`);
      return next();
    },
    close() {
      child.stdin.end();
      return once(child, 'close');
    },
  };
}
type Python = Awaited<ReturnType<typeof startPython>>;

/**
 * Images/s three ways in alternating rounds over slices of the images: bare session, end to end, Python. On a
 * shared machine other work then shifts all three alike and the per-round ratios stay meaningful.
 */
async function measureImages(
  files: string[],
  batch: number,
  precision: Precision,
  py: Python | undefined,
  work: string,
) {
  const embedder = await open(precision, batch);
  const bare = await bareSession(batch, precision);
  const inputs = files.map((file) => ({ name: path.basename(file), path: file }));
  await embedder.embedImages(inputs.slice(0, batch)); // warm-up
  await py?.ask({ op: 'images', paths: files.slice(0, batch), batch });
  const chunk = Math.ceil(files.length / rounds / batch) * batch;
  const vectors: Float32Array[] = [];
  const theirs: Float32Array[] = [];
  const times: { bare: number; bareImages: number; e2e: number; py?: number; images: number }[] = [];
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
    const out = path.join(work, 'vectors.f32');
    const answer = await py?.ask({ op: 'images', paths: slice.map((i) => i.path), batch, vectors: out });
    if (answer) {
      const flat = await readFloats(out);
      const dims = flat.length / slice.length;
      for (let i = 0; i < slice.length; i++) theirs.push(flat.slice(i * dims, (i + 1) * dims));
    }
    times.push({ bare: bareSeconds, bareImages, e2e: e2eSeconds, py: answer?.seconds, images: slice.length });
  }
  await bare.release();
  const pySeconds = times.map((t) => t.py).filter((t): t is number => t !== undefined);
  return {
    embedder,
    vectors,
    pythonVectors: theirs,
    bare: sum(times.map((t) => t.bareImages)) / sum(times.map((t) => t.bare)),
    endToEnd: files.length / sum(times.map((t) => t.e2e)),
    python: pySeconds.length ? files.length / sum(pySeconds) : undefined,
    medianOverBare: median(times.map((t) => t.images / t.e2e / (t.bareImages / t.bare))),
    medianOverPython: pySeconds.length ? median(times.map((t) => (t.py as number) / t.e2e)) : undefined,
  };
}

/** Text queries one at a time, here and in Python, alternating over slices of the queries. */
async function measureTexts(embedder: Embedder, py: Python | undefined) {
  await embedder.embedTexts([queries[0] as string]);
  await py?.ask({ op: 'texts', texts: [queries[0]] });
  const chunk = Math.ceil(queries.length / rounds);
  const vectors: Float32Array[] = [];
  let ours = 0;
  let theirs = 0;
  for (let start = 0; start < queries.length; start += chunk) {
    const slice = queries.slice(start, start + chunk);
    ours += await seconds(async () => {
      for (const q of slice) vectors.push((await embedder.embedTexts([q]))[0] as Float32Array);
    });
    theirs += (await py?.ask({ op: 'texts', texts: slice }))?.seconds ?? 0;
  }
  return {
    queriesPerSecond: queries.length / ours,
    pythonQueriesPerSecond: py ? queries.length / theirs : undefined,
    vectors,
  };
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

type Agreement = ReturnType<typeof agreement>;

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
  rounds: number;
  images: { count: number; source: string; megapixels: { min: number; max: number; mean: number } };
  rows: {
    precision: Precision;
    batch: number;
    bareImagesPerSecond: number;
    endToEndImagesPerSecond: number;
    endToEndOverBare: number;
    medianRoundEndToEndOverBare: number;
    pythonImagesPerSecond?: number;
    endToEndOverPython?: number;
    medianRoundEndToEndOverPython?: number;
  }[];
  texts: { queries: number; queriesPerSecond: number; pythonQueriesPerSecond?: number };
  /** What the model's arithmetic allows on this machine: torch's float32 matrix product rate. */
  ceiling?: { sgemmGflops: number; modelGflopsPerImage: number };
  quantized: {
    batch: number;
    textQueriesPerSecond: number;
    imageAgreementWithFp32: Agreement;
    textAgreementWithFp32: Agreement;
  };
  referenceAgreement?: Agreement;
  pixelDifferenceGreyLevels?: { file: string; size: string; max: number; mean: number }[];
  python?: { interpreter: string; weights: string; versions: Record<string, string> };
  targets: { endToEndOverPython: number; endToEndOverBare: number };
}

// ---------- run ----------

async function main() {
  if (args['render-only']) {
    const report = JSON.parse(await readFile(path.join(args.out, 'embedder.json'), 'utf8')) as Report;
    await writeFile(path.join(args.out, 'embedder.md'), markdown(report));
    return;
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'lookalike-bench-embedder-'));
  let py: Python | undefined;
  try {
    const started = new Date().toISOString();
    const loadBefore = os.loadavg();
    const files = args.images
      ? await listImages(path.resolve(args.images), count)
      : await makeImages(work, count);
    const sizes = await Promise.all(files.map(async (file) => sharp(file).metadata()));
    const pixels = sizes.map((m) => (m.width as number) * (m.height as number));
    console.error(`${files.length} images, ${threads} threads, model ${modelDir}`);
    py = args['no-python'] ? undefined : await startPython();
    const pythonInfo = py && { weights: py.weights, versions: py.versions };

    const rows: Report['rows'] = [];
    let first: Awaited<ReturnType<typeof measureImages>> | undefined;
    let texts: Awaited<ReturnType<typeof measureTexts>> | undefined;
    let pixelCheck: Report['pixelDifferenceGreyLevels'];
    // Measured before and after the images (the larger counts: other load only ever lowers it).
    const sgemm = async () =>
      py ? ((await py.ask({ op: 'sgemm', seconds: 3 })) as unknown as { gflops: number }).gflops : 0;
    const sgemmBefore = await sgemm();
    // Both precisions at every batch size against the same Python reference (torch has no quantized CLIP).
    let qTexts: Awaited<ReturnType<typeof measureTexts>> | undefined;
    let qVectors: Float32Array[] = [];
    const qBatch = batches[Math.floor(batches.length / 2)] as number;
    for (const batch of batches) {
      for (const precision of ['fp32', 'quantized'] as const) {
        const measured = await measureImages(files, batch, precision, py, work);
        if (precision === 'fp32' && !first) {
          first = measured;
          texts = await measureTexts(measured.embedder, py);
          if (py) {
            const sample = files.slice(0, 16);
            const out = path.join(work, 'pixels.f32');
            await py.ask({
              op: 'images',
              paths: sample,
              batch: sample.length,
              pixels: out,
              pixels_count: sample.length,
            });
            pixelCheck = await pixelDifference(measured.embedder, sample, await readFloats(out));
          }
        }
        if (precision === 'quantized' && batch === qBatch) {
          qTexts = await measureTexts(measured.embedder, undefined);
          qVectors = measured.vectors;
        }
        await measured.embedder.close();
        const row = {
          precision,
          batch,
          bareImagesPerSecond: measured.bare,
          endToEndImagesPerSecond: measured.endToEnd,
          endToEndOverBare: measured.endToEnd / measured.bare,
          medianRoundEndToEndOverBare: measured.medianOverBare,
          pythonImagesPerSecond: measured.python,
          endToEndOverPython: measured.python ? measured.endToEnd / measured.python : undefined,
          medianRoundEndToEndOverPython: measured.medianOverPython,
        };
        console.error(JSON.stringify(row));
        rows.push(row);
      }
    }
    const ceiling = py && {
      sgemmGflops: Math.max(sgemmBefore, await sgemm()),
      modelGflopsPerImage: await visionGflops(),
    };
    await py?.close();
    py = undefined;

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
      rounds,
      images: {
        count: files.length,
        source: args.images ? path.resolve(args.images) : 'generated from the fixture photos (seed 42)',
        megapixels: {
          min: Math.min(...pixels) / 1e6,
          max: Math.max(...pixels) / 1e6,
          mean: sum(pixels) / pixels.length / 1e6,
        },
      },
      rows,
      texts: {
        queries: queries.length,
        queriesPerSecond: texts?.queriesPerSecond ?? 0,
        pythonQueriesPerSecond: texts?.pythonQueriesPerSecond,
      },
      ceiling,
      quantized: {
        batch: qBatch,
        textQueriesPerSecond: qTexts?.queriesPerSecond ?? 0,
        imageAgreementWithFp32: agreement(qVectors, first?.vectors ?? []),
        textAgreementWithFp32: agreement(qTexts?.vectors ?? [], texts?.vectors ?? []),
      },
      referenceAgreement: first?.pythonVectors.length
        ? agreement(first.vectors, first.pythonVectors)
        : undefined,
      pixelDifferenceGreyLevels: pixelCheck,
      python: pythonInfo && { interpreter: python, ...pythonInfo },
      targets: { endToEndOverPython: 3, endToEndOverBare: 0.85 },
    };
    await mkdir(args.out, { recursive: true });
    await writeFile(path.join(args.out, 'embedder.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(path.join(args.out, 'embedder.md'), markdown(report));
    console.error(`wrote ${path.join(args.out, 'embedder.md')} and embedder.json`);
  } finally {
    await py?.close();
    await rm(work, { recursive: true, force: true });
  }
}

const f = (x: number | undefined, digits = 1) => (x === undefined ? '—' : x.toFixed(digits));

/** What the arithmetic allows: float32 rates of the bare session and of torch, beside torch's own sgemm. */
function ceilingLines(r: Report): string[] {
  const c = r.ceiling as NonNullable<Report['ceiling']>;
  const fp32 = r.rows.filter((row) => row.precision === 'fp32');
  const gflops = (imagesPerSecond: number | undefined) =>
    f((imagesPerSecond ?? 0) * c.modelGflopsPerImage, 0);
  const caps = fp32.map(
    (row) => `${f(row.bareImagesPerSecond / (row.pythonImagesPerSecond ?? NaN), 2)}× at batch ${row.batch}`,
  );
  return [
    `Arithmetic: the vision tower does ${f(c.modelGflopsPerImage, 2)} GFLOP per image. The bare fp32 session sustains ${fp32.map((row) => gflops(row.bareImagesPerSecond)).join(' / ')} GFLOP/s and torch ${fp32.map((row) => gflops(row.pythonImagesPerSecond)).join(' / ')} GFLOP/s at batch ${fp32.map((row) => row.batch).join(' / ')}; torch's own float32 matrix product of a ViT-B layer's shape runs at ${f(c.sgemmGflops, 0)} GFLOP/s on the same ${r.threads} threads. onnxruntime's fp32 graph is at what these cores do, so fp32 end to end can never pass the bare session's lead over the reference: ${caps.join(', ')}, short of 3× whatever the pipeline does. int8 weights (VNNI) are what go past it.`,
    '',
  ];
}

function markdown(r: Report): string {
  const m = r.machine;
  const load = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
  const q = r.quantized;
  const lines = [
    '# Embedder benchmark',
    '',
    `\`${r.command}\``,
    '',
    `${r.started} · ${m.cpu ?? 'cpu'} · ${m.cores} cores · load average ${load(m.loadAverageBefore)} before, ${load(m.loadAverageAfter)} after · Node ${m.node} · onnxruntime-node ${m.onnxruntime} · sharp ${m.sharp} (libvips ${m.libvips})`,
    '',
    `Model \`${r.model}\`, ${r.threads} inference threads (torch too). ${r.images.count} JPEGs (${r.images.source}), ${f(r.images.megapixels.min, 2)}–${f(r.images.megapixels.max, 2)} MP, mean ${f(r.images.megapixels.mean, 2)} MP.`,
    r.python
      ? `Python reference: ${r.python.interpreter}, ${Object.entries(r.python.versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; weights: ${r.python.weights}.`
      : 'Python reference not run.',
    '',
    '## Images per second',
    '',
    `End to end = read file + decode + preprocess + inference, the next batch decoded while the current one runs. Bare = \`session.run\` alone on a pre-made tensor of the same batch size. Python = CLIPModel in torch (float32) with PIL + CLIPImageProcessor (PIL backend), same images, same thread count; it is the reference for both precisions (torch has no quantized CLIP). The three alternate in ${r.rounds} rounds over slices of the images; "median" columns are the medians of the per-round ratios, which a busy shared machine disturbs less than the totals.`,
    '',
    '| precision | batch | end to end | bare session | Python | e2e / bare (≥ 0.85) | median | e2e / Python (≥ 3) | median |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.rows.map(
      (row) =>
        `| ${row.precision} | ${row.batch} | ${f(row.endToEndImagesPerSecond)} | ${f(row.bareImagesPerSecond)} | ${f(row.pythonImagesPerSecond)} | ${f(row.endToEndOverBare, 2)} | ${f(row.medianRoundEndToEndOverBare, 2)} | ${f(row.endToEndOverPython, 2)} | ${f(row.medianRoundEndToEndOverPython, 2)} |`,
    ),
    '',
    ...(r.ceiling ? ceilingLines(r) : []),
    '## Text queries per second (one query at a time, fp32)',
    '',
    `${r.texts.queries} queries: ${f(r.texts.queriesPerSecond)} / s here, ${f(r.texts.pythonQueriesPerSecond)} / s Python${r.texts.pythonQueriesPerSecond ? ` (${f(r.texts.queriesPerSecond / r.texts.pythonQueriesPerSecond, 2)}×)` : ''}.`,
    '',
    '## Quantized (int8 weights) against fp32',
    '',
    `Text: ${f(q.textQueriesPerSecond)} queries/s (${f(q.textQueriesPerSecond / r.texts.queriesPerSecond, 2)}× fp32). Vectors of the batch ${q.batch} run:`,
    `Image vectors vs fp32: cosine min ${f(q.imageAgreementWithFp32.cosine.min, 5)} mean ${f(q.imageAgreementWithFp32.cosine.mean, 5)}; centred on the mean vector min ${f(q.imageAgreementWithFp32.centredCosine.min, 4)} mean ${f(q.imageAgreementWithFp32.centredCosine.mean, 4)}.`,
    `Text vectors vs fp32: cosine min ${f(q.textAgreementWithFp32.cosine.min, 5)} mean ${f(q.textAgreementWithFp32.cosine.mean, 5)}; centred min ${f(q.textAgreementWithFp32.centredCosine.min, 4)} mean ${f(q.textAgreementWithFp32.centredCosine.mean, 4)}.`,
    '',
  ];
  if (r.referenceAgreement) {
    lines.push(
      '## Agreement with the Python reference (fp32, same photos)',
      '',
      `Image vectors: cosine min ${f(r.referenceAgreement.cosine.min, 6)} mean ${f(r.referenceAgreement.cosine.mean, 6)}; centred on the mean vector (random weights put every image near one direction, so plain cosines flatter): min ${f(r.referenceAgreement.centredCosine.min, 4)} mean ${f(r.referenceAgreement.centredCosine.mean, 4)}.`,
      '',
    );
  }
  if (r.pixelDifferenceGreyLevels) {
    lines.push(
      'Model input (224×224×3) against CLIPImageProcessor, in grey levels. libvips lets libjpeg shrink large JPEGs in the DCT (shrink-on-load) before its bicubic reduce, where PIL filters the full decode; that is the difference on the big images.',
      '',
      '| image | size | max | mean |',
      '| --- | --- | ---: | ---: |',
      ...r.pixelDifferenceGreyLevels.map(
        (p) => `| ${p.file} | ${p.size} | ${f(p.max, 0)} | ${f(p.mean, 2)} |`,
      ),
      '',
    );
  }
  return lines.join('\n');
}

await main();
