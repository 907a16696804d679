// Default precision by evidence: the same corpus embedded with the fp32 and the int8 (`_quantized`) graphs of
// one model, and how much the two rank alike: overlap of the top 10 for text queries (text -> image) and for
// every photo as a query (image -> image, itself left out), beside speed and resident memory. Each precision
// runs in its own process (memory is per process); the parent compares the vectors. Results: bench/precision.md.
//
//   node bin/run-ts.js scripts/bench/precision.ts [--model /tmp/lookalike-bench-models/openai] [--images DIR]
//       [--count 256] [--queries 300] [--out bench/precision.md]
//
// Without --images, --count photo-like JPEGs are made from the fixture photos (scripts/bench/photos.ts). The text
// queries are two or three words drawn (seeded) from the model's own tokenizer vocabulary: its whole-word
// entries, the most frequent first, skipping the commonest hundred (mostly function words).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listImages, makeImages } from './photos.js';
import { loadAverage, seeded } from './vectors.js';

const root = path.resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: '/tmp/lookalike-bench-models/openai' },
    images: { type: 'string' },
    count: { type: 'string', default: '256' },
    queries: { type: 'string', default: '300' },
    out: { type: 'string', default: path.join(root, 'bench/precision.md') },
    child: { type: 'string' },
    work: { type: 'string' },
  },
});
const precisions = ['fp32', 'quantized'] as const;
type Precision = (typeof precisions)[number];

/** What a child process reports: its vectors (written to files beside), timings and memory. */
interface ChildResult {
  precision: Precision;
  dims: number;
  images: number;
  texts: number;
  imagesPerSecond: number;
  textMsMedian: number;
  idleRssMiB: number;
  peakRssMiB: number;
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function textQueries(modelDir: string, n: number): string[] {
  const tokenizer = JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')) as {
    model: { vocab: Record<string, number> };
  };
  const words = Object.entries(tokenizer.model.vocab)
    .filter(([token]) => /^[a-z]{4,10}<\/w>$/.test(token))
    .sort((a, b) => a[1] - b[1])
    .map(([token]) => token.slice(0, -4))
    .slice(100, 3100);
  const random = seeded(14);
  const pick = () => words[Math.floor(random() * words.length)] as string;
  return Array.from({ length: n }, () =>
    Array.from({ length: 2 + Math.floor(random() * 2) }, pick).join(' '),
  );
}

async function child(precision: Precision, work: string): Promise<void> {
  const { createEmbedder } = await import('../../src/model/index.js');
  const sharp = (await import('sharp')).default;
  sharp.concurrency(1);
  const files = JSON.parse(readFileSync(path.join(work, 'files.json'), 'utf8')) as string[];
  const texts = JSON.parse(readFileSync(path.join(work, 'texts.json'), 'utf8')) as string[];
  const embedder = await createEmbedder({
    modelDir: args.model,
    precision,
    threads: os.availableParallelism(),
    limits: { maxBytes: 50 * 1024 * 1024, maxPixels: 100_000_000 },
    batchSize: 16,
  });
  const idle = process.memoryUsage().rss;
  let start = performance.now();
  const images = await embedder.embedImages(files.map((file) => ({ name: file, path: file })));
  const imagesPerSecond = files.length / ((performance.now() - start) / 1000);
  // Text queries one at a time, as a chat command embeds them.
  const textVectors: Float32Array[] = [];
  const textMs: number[] = [];
  for (const text of texts) {
    start = performance.now();
    const [vector] = await embedder.embedTexts([text]);
    textMs.push(performance.now() - start);
    if (!(vector instanceof Float32Array)) throw vector;
    textVectors.push(vector);
  }
  const write = (name: string, rows: unknown[]) => {
    const flat = new Float32Array(rows.length * embedder.dims);
    rows.forEach((row, i) => {
      if (!(row instanceof Float32Array)) throw row;
      flat.set(row, i * embedder.dims);
    });
    writeFileSync(path.join(work, `${precision}-${name}.f32`), flat);
  };
  write('images', images);
  write('texts', textVectors);
  const result: ChildResult = {
    precision,
    dims: embedder.dims,
    images: files.length,
    texts: texts.length,
    imagesPerSecond,
    textMsMedian: median(textMs),
    idleRssMiB: mib(idle),
    peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
  };
  await embedder.close();
  console.log(JSON.stringify(result));
}

const readVectors = (file: string) => {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};
const row = (m: Float32Array, dims: number, i: number) => m.subarray(i * dims, (i + 1) * dims);
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

/** Indices of the 10 rows of `corpus` nearest `query` by cosine (vectors are unit length), `skip` left out. */
function top10(corpus: Float32Array, dims: number, query: Float32Array, skip = -1): number[] {
  const n = corpus.length / dims;
  const scored: [number, number][] = [];
  for (let i = 0; i < n; i++) if (i !== skip) scored.push([dot(query, row(corpus, dims, i)), i]);
  return scored
    .sort((a, b) => b[0] - a[0])
    .slice(0, 10)
    .map(([, i]) => i);
}

interface Overlap {
  mean: number;
  p10: number;
  min: number;
  top1: number;
}

/** For each query: |top10(fp32) ∩ top10(int8)| / 10, each precision ranking its own corpus with its own query. */
function overlap(
  dims: number,
  corpus: [Float32Array, Float32Array],
  queries: [Float32Array, Float32Array],
  leaveOut: boolean,
): Overlap {
  const n = queries[0].length / dims;
  const shares: number[] = [];
  let sameFirst = 0;
  for (let q = 0; q < n; q++) {
    const skip = leaveOut ? q : -1;
    const a = top10(corpus[0], dims, row(queries[0], dims, q), skip);
    const b = top10(corpus[1], dims, row(queries[1], dims, q), skip);
    const inB = new Set(b);
    shares.push(a.filter((i) => inB.has(i)).length / 10);
    if (a[0] === b[0]) sameFirst++;
  }
  const sorted = [...shares].sort((x, y) => x - y);
  return {
    mean: shares.reduce((s, x) => s + x, 0) / n,
    p10: sorted[Math.floor(n * 0.1)] as number,
    min: sorted[0] as number,
    top1: sameFirst / n,
  };
}

/** Cosine between the fp32 and the int8 vector of each input: min and mean. */
function agreement(dims: number, a: Float32Array, b: Float32Array) {
  const n = a.length / dims;
  const cos = Array.from({ length: n }, (_, i) => dot(row(a, dims, i), row(b, dims, i)));
  return { min: Math.min(...cos), mean: cos.reduce((s, x) => s + x, 0) / n };
}

/** How far apart the corpus is: the mean cosine between different photos (random weights crowd them together). */
function spread(dims: number, m: Float32Array) {
  const n = Math.min(64, m.length / dims);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      sum += dot(row(m, dims, i), row(m, dims, j));
      pairs++;
    }
  return sum / pairs;
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'lookalike-precision-'));
  const count = Number(args.count);
  const files = args.images
    ? await listImages(path.resolve(args.images), count)
    : await makeImages(work, count);
  const texts = textQueries(args.model, Number(args.queries));
  writeFileSync(path.join(work, 'files.json'), JSON.stringify(files));
  writeFileSync(path.join(work, 'texts.json'), JSON.stringify(texts));
  const loadBefore = loadAverage();
  const results = {} as Record<Precision, ChildResult>;
  for (const precision of precisions) {
    const out = execFileSync(
      process.execPath,
      [
        path.join(root, 'bin/run-ts.js'),
        import.meta.filename,
        '--model',
        args.model,
        '--child',
        precision,
        '--work',
        work,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    results[precision] = JSON.parse(out.trim().split('\n').at(-1) as string) as ChildResult;
    console.error(`${precision}: ${JSON.stringify(results[precision])}`);
  }
  const dims = results.fp32.dims;
  const vectors = (kind: 'images' | 'texts') =>
    precisions.map((p) => readVectors(path.join(work, `${p}-${kind}.f32`))) as [Float32Array, Float32Array];
  const images = vectors('images');
  const textVectors = vectors('texts');
  const textToImage = overlap(dims, images, textVectors, false);
  const imageToImage = overlap(dims, images, images, true);
  const imageCos = agreement(dims, ...images);
  const textCos = agreement(dims, ...textVectors);
  const loadAfter = loadAverage();
  const f = (x: number, d = 2) => x.toFixed(d);
  const line = (name: string, o: Overlap) =>
    `| ${name} | ${f(o.mean)} | ${f(o.p10)} | ${f(o.min)} | ${f(o.top1)} |`;
  const command = `node bin/run-ts.js scripts/bench/precision.ts --model ${args.model}${
    args.images ? ` --images ${args.images}` : ''
  } --count ${count} --queries ${texts.length}`;
  const report = `# fp32 or int8: how alike they rank, beside speed and memory

\`${command}\` (${new Date().toISOString()}); ${os.availableParallelism()} cores, Node ${process.version};
load average ${loadBefore} before, ${loadAfter} after (1 / 5 / 15 min; the speeds depend on it, the rankings do not).
Model: \`${args.model}\` (fp32 graphs and the \`_quantized\` ones beside them: int8 weights by onnxruntime's
\`quantize_dynamic\`, as the transformers.js exports are made). Corpus: ${files.length} photos; ${texts.length}
text queries of two or three words drawn from the tokenizer's vocabulary (e.g. "${texts[0]}", "${texts[1]}").
Each precision embeds the whole corpus and every query with its own graphs, in its own process, and ranks by
cosine, as an index built and searched at that precision does.
Random weights rank differently from trained ones (their photos crowd together, see the spread below, so small
changes reorder them more easily): read these as a lower bound and run the bench on a trained export for yours.
The default precision chosen from this, and why: README, "Default precision".

## Ranking: overlap of the top 10

| queries | mean overlap | 10th percentile | lowest | same first hit |
| --- | ---: | ---: | ---: | ---: |
${line(`text -> image (${texts.length} queries)`, textToImage)}
${line(`image -> image (each of ${files.length} photos, itself left out)`, imageToImage)}

The same input through both graphs: image cosine ${f(imageCos.min, 4)} lowest, ${f(imageCos.mean, 4)} mean; text
cosine ${f(textCos.min, 4)} lowest, ${f(textCos.mean, 4)} mean. How crowded the corpus is: mean cosine between two
different photos ${f(spread(dims, images[0]), 3)} (fp32).

## Speed and memory

| precision | images/s end to end (decode + model, batch 16) | text query alone, median ms | RSS with both towers loaded, MiB | peak RSS, MiB |
| --- | ---: | ---: | ---: | ---: |
${precisions
  .map((p) => {
    const r = results[p];
    return `| ${p} | ${f(r.imagesPerSecond, 1)} | ${f(r.textMsMedian, 1)} | ${r.idleRssMiB} | ${r.peakRssMiB} |`;
  })
  .join('\n')}
`;
  writeFileSync(args.out, report);
  console.log(report);
}

if (args.child) await child(args.child as Precision, args.work as string);
else await main();
