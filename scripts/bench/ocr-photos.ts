// What OCR costs when indexing photos without text, end to end: the same photos indexed into fresh embedded
// stores with OCR off and on, alternating, with a full-size CLIP (random weights: the real model's compute).
// Results: bench/ocr-photos.md (bench/ocr.md sums it up).
//
//   node bin/run-ts.js scripts/bench/ocr-photos.ts --model /work/models/clip-vit-b32-random [--photos 120]
//     [--rounds 6] [--seed 19] [--precision fp32|quantized]
//
// The photos are the OCR corpus's kind without text (scripts/ocr-corpus/render.ts): 640x480 to 1024x768 JPEG.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../src/config/load.js';
import { indexSource } from '../../src/indexer/index-source.js';
import { openEmbedder } from '../../src/model/index.js';
import { OcrEngine } from '../../src/ocr/engine.js';
import { openFolderSource } from '../../src/sources/folder.js';
import { openStore } from '../../src/store/open.js';
import { render } from '../ocr-corpus/render.js';
import { loadAverage, seeded } from './vectors.js';

const root = path.resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({
  options: {
    model: {
      type: 'string',
      default: process.env.LOOKALIKE_BENCH_MODEL ?? '/work/models/clip-vit-b32-random',
    },
    precision: { type: 'string', default: 'fp32' },
    photos: { type: 'string', default: '120' },
    rounds: { type: 'string', default: '6' },
    seed: { type: 'string', default: '19' },
    out: { type: 'string', default: 'bench' },
  },
});
const command = `node bin/run-ts.js scripts/bench/ocr-photos.ts ${process.argv.slice(2).join(' ')}`.trim();
const work = await mkdtemp(path.join(os.tmpdir(), 'lookalike-ocr-photos-'));
const count = Number(args.photos);
const photos = path.join(work, 'photos');
await mkdir(photos);
const random = seeded(Number(args.seed));
for (let i = 0; i < count; i++) {
  const { bytes } = await render('no-text', random);
  await writeFile(path.join(photos, `photo-${String(i).padStart(3, '0')}.jpg`), bytes);
}

const config = parseConfig({
  LOOKALIKE_MODEL_DIR: args.model,
  LOOKALIKE_PRECISION: args.precision,
  LOOKALIKE_STORE: 'embedded',
  LOOKALIKE_DATA_DIR: path.join(work, 'data'),
});
const embedder = await openEmbedder(config);
const reader = await OcrEngine.open({ threads: config.LOOKALIKE_THREADS });
const loadBefore = loadAverage();

type Mode = 'off' | 'on';
const rounds: { off: number; on: number; load: string; passedOver: number }[] = [];
for (let round = 0; round < Number(args.rounds); round++) {
  const timed = { off: 0, on: 0, load: loadAverage(), passedOver: 0 };
  const order: Mode[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const mode of order) {
    const dataDir = path.join(work, `data-${round}-${mode}`);
    const store = await openStore({ ...config, LOOKALIKE_DATA_DIR: dataDir });
    const source = await openFolderSource({ root: photos, tenant: '*', maxBytes: 50_000_000 });
    const start = performance.now();
    const report = await indexSource({
      source,
      store,
      embedder,
      batchSize: config.LOOKALIKE_BATCH_SIZE,
      concurrency: config.LOOKALIKE_CONCURRENCY,
      ...(mode === 'on' && { reader }),
    });
    timed[mode] = (performance.now() - start) / count;
    if (report.new !== count) throw new Error(`indexed ${report.new} of ${count}`);
    if (mode === 'on') timed.passedOver = report.text?.passedOver ?? 0;
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  rounds.push(timed);
  console.log(
    `round ${round}: off ${timed.off.toFixed(1)} / on ${timed.on.toFixed(1)} ms per photo (load ${timed.load})`,
  );
}
const loadAfter = loadAverage();
await reader.close();
await embedder.close();
await rm(work, { recursive: true, force: true });

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const extra = rounds.map((r) => r.on - r.off);
const slowdown = rounds.map((r) => r.on / r.off - 1);
const bestOff = Math.min(...rounds.map((r) => r.off));
const bestOn = Math.min(...rounds.map((r) => r.on));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const lines = [
  '# OCR on photos without text, end to end',
  '',
  `\`${command}\` (${new Date().toISOString()})`,
  '',
  `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Node ${process.version}; load average (1 / 5 / 15 min) ${loadBefore} before, ${loadAfter} after.`,
  `${count} photos without text (scripts/ocr-corpus's no-text kind, seed ${args.seed}: 640x480 to 1024x768 JPEG), each round indexed into two fresh embedded stores, OCR off and on, in alternating order; CLIP \`${args.model}\` ${args.precision}, ${config.LOOKALIKE_THREADS} threads, batch ${config.LOOKALIKE_BATCH_SIZE}, concurrency ${config.LOOKALIKE_CONCURRENCY}.`,
  '',
  '| round | load (1 min) at its start | OCR off, ms per photo | OCR on, ms per photo | extra ms | slowdown | photos passed over |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rounds.map(
    (r, i) =>
      `| ${i + 1} | ${r.load.split(' ')[0]} | ${r.off.toFixed(1)} | ${r.on.toFixed(1)} | ${(r.on - r.off).toFixed(1)} | ${pct(r.on / r.off - 1)} | ${r.passedOver} of ${count} |`,
  ),
  '',
  `Median over rounds: ${median(extra).toFixed(1)} ms extra per photo, slowdown ${pct(median(slowdown))}; fastest rounds: ` +
    `${bestOff.toFixed(1)} off, ${bestOn.toFixed(1)} on (${pct(bestOn / bestOff - 1)}). Target: <= 10%.`,
];
console.log(lines.join('\n'));
await writeFile(path.join(root, args.out, 'ocr-photos.md'), `${lines.join('\n')}\n`);
