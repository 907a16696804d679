// Thumbnail size and format by measurement: bytes and time to make one per edge and quality, from the fixture
// photos and from a generated 12 MP camera-like JPEG, and the time to draw a contact sheet of 10 from them.
// Usage: npx tsx scripts/bench/thumbnails.ts
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
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

async function main() {
  sharp.concurrency(1);
  const inputs = await Promise.all(photos.map((p) => readFile(path.join(fixtures, p))));
  const phone = await phonePhoto(inputs[0]!);
  const rows: string[] = [];
  for (const edge of [256, 320, 384]) {
    for (const quality of [70, 75, 82]) {
      const make = (bytes: Buffer) =>
        sharp(bytes)
          .rotate()
          .resize(edge, edge, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality })
          .toBuffer();
      const sizes: number[] = [];
      const times: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const input of inputs) {
          const t = performance.now();
          const out = await make(input);
          times.push(performance.now() - t);
          if (round === 0) sizes.push(out.length);
        }
      }
      const phoneTimes: number[] = [];
      let phoneBytes = 0;
      for (let round = 0; round < 3; round++) {
        const t = performance.now();
        phoneBytes = (await make(phone)).length;
        phoneTimes.push(performance.now() - t);
      }
      const thumbs = await Promise.all(inputs.map(make));
      const tiles = Array.from({ length: 10 }, (_, i) => ({
        rank: i + 1,
        score: 0.3,
        name: `p${i}.jpg`,
        bytes: thumbs[i % thumbs.length],
      }));
      const sheetTimes: number[] = [];
      for (let round = 0; round < 5; round++) {
        const t = performance.now();
        await renderContactSheet(tiles, { maxPixels: 1e8 });
        sheetTimes.push(performance.now() - t);
      }
      rows.push(
        `| ${edge} | ${quality} | ${Math.round(sizes.reduce((a, b) => a + b) / sizes.length / 1024)} | ${median(times).toFixed(1)} | ${(phoneBytes / 1024).toFixed(0)} | ${median(phoneTimes).toFixed(0)} | ${median(sheetTimes).toFixed(0)} |`,
      );
    }
  }
  // The sheet of a 5-hit reply as it was drawn before (decoding the original files) and as it is now (from
  // 320 px / q75 thumbnails), interleaved so load from elsewhere falls on both alike.
  const now = await Promise.all(
    inputs.map((b) => sharp(b).rotate().resize(320, 320, { fit: 'inside' }).webp({ quality: 75 }).toBuffer()),
  );
  const tilesOf = (from: Buffer[]) =>
    Array.from({ length: 5 }, (_, i) => ({
      rank: i + 1,
      score: 0.3,
      name: `p${i}.jpg`,
      bytes: from[i % from.length],
    }));
  const before: number[] = [];
  const after: number[] = [];
  for (let round = 0; round < 15; round++) {
    for (const [from, into] of [
      [inputs, before],
      [now, after],
    ] as const) {
      const t = performance.now();
      await renderContactSheet(tilesOf(from), { maxPixels: 1e8 });
      into.push(performance.now() - t);
    }
  }
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${os.cpus().length} cores, sharp.concurrency 1`,
  );
  console.log(
    '| edge px | WebP quality | KB per fixture photo (mean) | ms per fixture photo (median) | KB of the 12 MP photo | ms for the 12 MP photo | ms per sheet of 10 |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(
    `sheet of a 5-hit reply, median of 15 interleaved: from the originals (before) ${median(before).toFixed(1)} ms, ` +
      `from 320 px thumbnails (now) ${median(after).toFixed(1)} ms`,
  );
}

await main();
