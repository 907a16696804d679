// CPU time of each stage of one /find (text model, contact sheet and its pieces), which a shared machine's load
// inflates far less than wall time: process.cpuUsage (user + system, all threads), mean of --runs. Printed, for
// bench/bot-load.md.
//
//   node bin/run-ts.js scripts/bench/find-cpu.ts [--model /tmp/lookalike-bench-models/openai] [--runs 30]
//       [--compare-sheet FILE]
//
// --compare-sheet times another contact-sheet module beside the current one, e.g. an earlier version:
//   git show 3d70534:src/render/contact-sheet.ts | sed "s#'./list.js'#'../../src/render/list.js'#" \
//     > scripts/bench/contact-sheet-before.ts
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { makeThumbnail, thumbnailEdge } from '../../src/indexer/thumbnail.js';
import { createEmbedder } from '../../src/model/index.js';
import { renderContactSheet, type SheetTile } from '../../src/render/contact-sheet.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: '/tmp/lookalike-bench-models/openai' },
    runs: { type: 'string', default: '30' },
    'compare-sheet': { type: 'string' },
  },
});
const runs = Number(args.runs);
sharp.concurrency(1);

async function cpu(label: string, work: () => unknown): Promise<void> {
  await work();
  const before = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < runs; i++) await work();
  const used = process.cpuUsage(before);
  const f = (x: number) => (x / runs).toFixed(1);
  console.log(`| ${label} | ${f((used.user + used.system) / 1000)} | ${f(performance.now() - started)} |`);
}

const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');
const names = ['photo-cat.jpg', 'photo-china.jpg', 'photo-flower.jpg', 'photo-coffee.jpg', 'photo-cat.jpg'];
const thumbnails = await Promise.all(
  names.map((n) => makeThumbnail(n, readFileSync(path.resolve('test/fixtures/images', n)))),
);
const tiles: SheetTile[] = thumbnails.map((bytes, i) => ({
  rank: i + 1,
  score: 0.3,
  name: names[i]!,
  bytes,
}));
console.log(`load average ${load()} before; ${runs} runs each\n`);
console.log('| stage | core-ms | wall ms |\n| --- | ---: | ---: |');
await cpu('contact sheet of 5 (now)', () => renderContactSheet(tiles, { maxPixels: 1e8 }));
if (args['compare-sheet']) {
  const other = (await import(path.resolve(args['compare-sheet']))) as {
    renderContactSheet: typeof renderContactSheet;
  };
  await cpu(`contact sheet of 5 (${args['compare-sheet']})`, () =>
    other.renderContactSheet(tiles, { maxPixels: 1e8 }),
  );
}
await cpu(`one stored thumbnail (${thumbnailEdge} px) to a 256 px tile`, () =>
  sharp(thumbnails[1]).rotate().resize(256, 256, { fit: 'inside' }).removeAlpha().raw().toBuffer(),
);
await cpu('JPEG q85 of a 1328x316 sheet (no optimised Huffman tables, as the sheet)', () =>
  sharp(Buffer.alloc(1328 * 316 * 3, 40), { raw: { width: 1328, height: 316, channels: 3 } })
    .jpeg({ quality: 85, optimiseCoding: false })
    .toBuffer(),
);
for (const precision of ['fp32', 'quantized'] as const) {
  const embedder = await createEmbedder({
    modelDir: args.model,
    precision,
    threads: os.availableParallelism(),
    limits: { maxBytes: 50 * 1024 * 1024, maxPixels: 100_000_000 },
    batchSize: 16,
  });
  let i = 0;
  await cpu(`text model, one short query, ${precision}`, () => embedder.embedTexts([`red harbour ${i++}`]));
  await embedder.close();
}
console.log(`\nload average ${load()} after`);
