// Thumbnail size and format by measurement: bytes and time to make one, from the fixture photos and from a
// generated 12 MP camera-like JPEG, and what a 5-hit contact sheet drawn from them costs (wall and CPU time),
// for each candidate beside the one src/indexer/thumbnail.ts makes now.
// Usage: node bin/run-ts.js scripts/bench/thumbnails.ts
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { makeThumbnail } from '../../src/indexer/thumbnail.js';
import { renderContactSheet } from '../../src/render/contact-sheet.js';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures/images');
const photos = ['photo-cat.jpg', 'photo-china.jpg', 'photo-coffee.jpg', 'photo-flower.jpg'];

/** A 4032x3024 JPEG with sensor-like noise over a scaled-up photo, EXIF orientation 6 as phones write it. */
async function phonePhoto(base: Buffer): Promise<Buffer> {
  const width = 4032;
  const height = 3024;
  const noise = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let i = 0; i < noise.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    noise[i] = 118 + (seed % 20);
  }
  const scaled = await sharp(base).resize(width, height, { fit: 'fill' }).raw().toBuffer();
  for (let i = 0; i < scaled.length; i++)
    scaled[i] = Math.max(0, Math.min(255, scaled[i]! + noise[i]! - 128));
  return sharp(scaled, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Make = (bytes: Buffer) => Promise<Buffer>;
const fitted = (edge: number) => (bytes: Buffer) =>
  sharp(bytes).rotate().resize(edge, edge, { fit: 'inside', withoutEnlargement: true });
const candidates: [string, Make][] = [
  ['WebP q75, 320 px (before)', (b) => fitted(320)(b).webp({ quality: 75 }).toBuffer()],
  ['WebP q75, 256 px', (b) => fitted(256)(b).webp({ quality: 75 }).toBuffer()],
  ['JPEG q80, 320 px', (b) => fitted(320)(b).jpeg({ quality: 80 }).toBuffer()],
  ['JPEG q80, 256 px', (b) => fitted(256)(b).jpeg({ quality: 80 }).toBuffer()],
  ['**JPEG q80 trellis, 256 px (now: makeThumbnail)**', (b) => makeThumbnail('bench', b)],
];

async function timed(work: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

async function main() {
  // As the bot runs it (src/model/index.ts).
  sharp.concurrency(1);
  sharp.cache(false);
  const inputs = await Promise.all(photos.map((p) => readFile(path.join(fixtures, p))));
  const phone = await phonePhoto(inputs[0]!);
  const sheets = new Map<string, { ms: number[]; cpuMs: number[] }>();
  const rows: string[] = [];
  const tilesOf = (thumbs: Buffer[]) =>
    Array.from({ length: 5 }, (_, i) => ({
      rank: i + 1,
      score: 0.3 - i / 100,
      name: `photo-${i}.jpg`,
      bytes: thumbs[i % thumbs.length],
    }));
  const made = new Map<string, Buffer[]>();
  for (const [label, make] of candidates) {
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const input of inputs) times.push((await timed(() => make(input))).ms);
    }
    const thumbs = await Promise.all(inputs.map(make));
    made.set(label, thumbs);
    const phoneTimes: number[] = [];
    for (let round = 0; round < 3; round++) phoneTimes.push((await timed(() => make(phone))).ms);
    const phoneBytes = (await make(phone)).length;
    const kb = thumbs.reduce((sum, t) => sum + t.length, 0) / thumbs.length / 1024;
    rows.push(
      `| ${label} | ${kb.toFixed(1)} | ${median(times).toFixed(1)} | ${(phoneBytes / 1024).toFixed(1)} | ${median(phoneTimes).toFixed(0)} |`,
    );
    sheets.set(label, { ms: [], cpuMs: [] });
  }
  // Sheets interleaved round by round, so load from elsewhere falls on every candidate alike.
  for (let round = 0; round < 30; round++) {
    for (const [label] of candidates) {
      const tiles = tilesOf(made.get(label)!);
      const { ms, cpuMs } = await timed(() => renderContactSheet(tiles, { maxPixels: 1e8 }));
      if (round < 3) continue; // warm-up
      sheets.get(label)!.ms.push(ms);
      sheets.get(label)!.cpuMs.push(cpuMs);
    }
  }
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${os.availableParallelism()} cores, sharp.concurrency 1, Node ${process.version}`,
  );
  console.log('');
  console.log(
    '| thumbnail | KB per fixture photo (mean) | ms per fixture photo (median) | KB of the 12 MP photo | ms for the 12 MP photo |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  console.log('');
  console.log('| 5-hit contact sheet drawn from | median ms | median CPU ms (all threads) |');
  console.log('| --- | ---: | ---: |');
  for (const [label] of candidates) {
    const { ms, cpuMs } = sheets.get(label)!;
    console.log(`| ${label} | ${median(ms).toFixed(1)} | ${median(cpuMs).toFixed(1)} |`);
  }
}

await main();
