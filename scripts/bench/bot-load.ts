// Bot core under load: `find` requests through the whole core (gates, queue, micro-batched text model,
// embedded store kNN, contact sheet and attachments rendered with sharp), one at a time and 50 at once.
// Reports p50/p95 latency and throughput, with micro-batching on and off. Results: bench/bot-load.md.
//
//   node bin/run-ts.js scripts/bench/bot-load.ts [--model /work/models/clip-vit-b32-random] [--docs 3000]
//     [--concurrent 50] [--rounds 3] [--out bench/bot-load.md]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { commands } from '../../commands/index.js';
import { createBot } from '../../src/bot/create.js';
import type { Bot, CommandRequest } from '../../src/bot/types.js';
import { parseConfig } from '../../src/config/load.js';
import { openEmbedder } from '../../src/model/index.js';
import { openStore } from '../../src/store/open.js';
import { imageId } from '../../src/store/ids.js';
import type { Embedder } from '../../src/model/types.js';
import type { ImageDocument, VectorStore } from '../../src/store/types.js';
import { makeThumbnail } from '../../src/indexer/thumbnail.js';
import { renderResults } from '../../src/render/results.js';
import { createLogger } from '../../src/util/log.js';
import { writeReport } from './report.js';
import { seeded } from './vectors.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: '/work/models/clip-vit-b32-random' },
    docs: { type: 'string', default: '3000' },
    concurrent: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    sequential: { type: 'string', default: '20' },
    precision: { type: 'string', default: 'fp32' },
    out: { type: 'string', default: path.join(import.meta.dirname, '../../bench/bot-load.md') },
  },
});
const docCount = Number(args.docs);
const concurrent = Number(args.concurrent);
const rounds = Number(args.rounds);
const sequential = Number(args.sequential);
const photos = path.resolve('test/fixtures/images');
const photoNames = ['photo-cat.jpg', 'photo-china.jpg', 'photo-coffee.jpg', 'photo-flower.jpg'];
const words = [
  'snowy',
  'mountain',
  'red',
  'cat',
  'old',
  'harbour',
  'coffee',
  'flower',
  'city',
  'night',
  'river',
  'dog',
];

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lookalike-bot-load-'));
const config = parseConfig({
  LOOKALIKE_MODEL_DIR: args.model,
  LOOKALIKE_PRECISION: args.precision,
  LOOKALIKE_DATA_DIR: dataDir,
  LOOKALIKE_STORE: 'embedded',
  // Generous limits: this measures the work, not the gates.
  LOOKALIKE_RATE_PER_USER_PER_MINUTE: '100000',
  LOOKALIKE_RATE_PER_TENANT_PER_MINUTE: '100000',
  LOOKALIKE_QUEUE_MAX: String(concurrent * 2),
  LOOKALIKE_COMMAND_TIMEOUT_MS: '120000',
});
const logger = createLogger(config);

/** Documents with random unit vectors, each with the thumbnail an index run makes of a fixture photo. */
async function fill(store: VectorStore, dims: number, modelId: string): Promise<void> {
  const random = seeded(42);
  const source = `folder:${photos}`;
  const thumbnails = await Promise.all(
    photoNames.map((name) => makeThumbnail(name, readFileSync(path.join(photos, name)))),
  );
  for (let start = 0; start < docCount; start += 500) {
    const batch: ImageDocument[] = [];
    for (let i = start; i < Math.min(start + 500, docCount); i++) {
      const vector = new Float32Array(dims).map(() => random() - 0.5);
      const norm = Math.hypot(...vector);
      const name = photoNames[i % photoNames.length] as string;
      batch.push({
        image_id: imageId(source, `${i}/${name}`),
        image_name: name,
        relative_path: name,
        source,
        tenant: '*',
        sha256: imageId('sha', String(i)),
        width: 640,
        height: 427,
        bytes: 100_000,
        indexed_at: new Date().toISOString(),
        model_id: modelId,
        image_embedding: vector.map((v) => v / norm),
      });
    }
    const result = await store.upsert(batch);
    if (result.failed.length > 0) throw new Error(`upsert failed: ${result.failed[0]?.reason}`);
    const stored = await store.setThumbnails(
      batch.map((doc, i) => ({
        image_id: doc.image_id,
        sha256: doc.sha256,
        bytes: thumbnails[(start + i) % photoNames.length] as Buffer,
      })),
    );
    if (stored.written !== batch.length) throw new Error('thumbnails were not stored');
  }
}

const request = (i: number): CommandRequest => ({
  command: 'find',
  options: { text: `${words[i % words.length]} ${words[(i * 7 + 3) % words.length]} ${i}`, count: 5 },
  actor: { id: `user-${i}`, isAdmin: false },
  tenant: 'bench',
});

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;

async function timed(bot: Bot, i: number): Promise<number> {
  const started = performance.now();
  const reply = await bot.handle(request(i));
  if (reply.kind !== 'results') throw new Error(`unexpected reply: ${JSON.stringify(reply)}`);
  return performance.now() - started;
}

interface Figures {
  p50: number;
  p95: number;
  max: number;
  perSecond: number;
}

async function oneAtATime(bot: Bot): Promise<Figures> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < sequential; i++) latencies.push(await timed(bot, 1000 + i));
  return figures(latencies, sequential, performance.now() - started);
}

async function allAtOnce(bot: Bot): Promise<Figures> {
  const latencies: number[] = [];
  let wall = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    latencies.push(
      ...(await Promise.all(
        Array.from({ length: concurrent }, (_, i) => timed(bot, round * concurrent + i)),
      )),
    );
    wall += performance.now() - started;
  }
  return figures(latencies, concurrent * rounds, wall);
}

function figures(latencies: number[], count: number, wallMs: number): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1) as number,
    perSecond: (count / wallMs) * 1000,
  };
}

async function median(times: number, work: () => Promise<unknown>): Promise<number> {
  await work();
  const took: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await work();
    took.push(performance.now() - started);
  }
  return percentile(
    took.sort((a, b) => a - b),
    50,
  );
}

/** Where one request's time goes: each stage alone, median ms, and what it means for batching. */
async function stages(embedder: Embedder, store: VectorStore): Promise<string[]> {
  const vector = ((await embedder.embedTexts(['a red bicycle'])) as Float32Array[])[0] as Float32Array;
  const scope = { tenant: 'bench', includeShared: true };
  const hits = await store.knn({ vector, k: 6, scope });
  const one = await median(10, () => embedder.embedTexts(['a red bicycle']));
  const sixteen = await median(5, () => embedder.embedTexts(words.concat(words).slice(0, 16)));
  const knn = await median(50, () => store.knn({ vector, k: 6, scope }));
  const reply = await median(10, () =>
    renderResults({
      title: 'bench',
      hits: hits.slice(0, 5),
      firstRank: 1,
      loadThumbnails: (found) =>
        store.getThumbnails(
          found.map((hit) => hit.image_id),
          scope,
        ),
      uploadLimitBytes: 8 * 1024 * 1024,
      maxPixels: config.LOOKALIKE_MAX_IMAGE_PIXELS,
      attachTop: 4,
    }),
  );
  const f = (ms: number) => ms.toFixed(1);
  return [
    '| stage | ms |',
    '| --- | ---: |',
    `| text model, 1 text | ${f(one)} |`,
    `| text model, 16 texts in one run | ${f(sixteen)} |`,
    `| embedded store kNN, k = 6 of ${docCount} | ${f(knn)} |`,
    `| reply: 5 stored thumbnails read, contact sheet, 4 attachments | ${f(reply)} |`,
    '',
    `In one run of 16 texts the model spends ${f(sixteen / 16)} ms per text against ${f(one)} ms alone ` +
      `(${((one * 16) / sixteen).toFixed(1)}x): what micro-batching saves once requests overlap. Under load the reply ` +
      'rendering (sharp, on the libuv pool) is then the larger share of each request.',
  ];
}

const embedder = await openEmbedder(config);
const store = await openStore(config);
try {
  await store.ensureIndex({ dims: embedder.dims, modelId: embedder.modelId });
  await fill(store, embedder.dims, embedder.modelId);
  const stageRows = await stages(embedder, store);
  const rows: string[] = [];
  for (const [label, maxBatch] of [
    ['micro-batching on (up to 16 texts per model run)', 16],
    ['micro-batching off (one text per model run)', 1],
  ] as const) {
    const bot = createBot({ config, embedder, store, logger, commands, batching: { maxBatch } });
    await timed(bot, 0); // warm-up: first model run, first sharp pipeline
    const single = await oneAtATime(bot);
    const load = await allAtOnce(bot);
    await bot.close();
    const f = (x: number) => x.toFixed(0);
    rows.push(
      `| ${label} | ${f(single.p50)} | ${f(single.p95)} | ${single.perSecond.toFixed(1)} | ${f(load.p50)} | ${f(load.p95)} | ${f(load.max)} | ${load.perSecond.toFixed(1)} |`,
    );
    console.error(label, { single, load });
  }
  const command = `node bin/run-ts.js scripts/bench/bot-load.ts --model ${args.model} --docs ${docCount} --concurrent ${concurrent} --rounds ${rounds} --sequential ${sequential}${args.precision === 'fp32' ? '' : ` --precision ${args.precision}`}`;
  const report = [
    '# Bot core under load',
    '',
    `\`find\` requests through the whole bot core: gates, bounded queue, micro-batched text model, embedded-store`,
    `kNN over ${docCount} documents (512-d, random unit vectors, scoped to one tenant + shared), and the reply`,
    `rendered with sharp (contact sheet of 5 thumbnails from the fixture photos + the top 4 images as attachments).`,
    `Model: ${embedder.modelId} (full-size ViT-B/32, random weights: the same compute as the real one),`,
    `${config.LOOKALIKE_THREADS} inference threads, on ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version};`,
    `load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (1 / 5 / 15 min: other work on the machine skews the figures).`,
    '',
    `One at a time: ${sequential} requests in sequence. At once: ${concurrent} concurrent requests, ${rounds} rounds. Latency in ms.`,
    '',
    '| | one at a time p50 | p95 | req/s | 50 at once p50 | p95 | max | req/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    'Each stage alone, one request at a time (median ms):',
    '',
    ...stageRows,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with:`,
    '',
    '```sh',
    command,
    '```',
    '',
  ].join('\n');
  writeReport(args.out, report);
  process.stdout.write(report);
} finally {
  await store.close();
  await embedder.close();
  rmSync(dataDir, { recursive: true, force: true });
}
