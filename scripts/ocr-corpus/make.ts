// Generates the OCR corpus: images with known text of every kind the bench measures, and truth.json.
//
//   node bin/run-ts.js scripts/ocr-corpus/make.ts --out /tmp/ocr-corpus [--per-kind 40] [--seed 19]
//
// Needs the fonts it names from fontconfig: DejaVu, Liberation (fonts-liberation2) and WenQuanYi Micro Hei
// (fonts-wqy-microhei) on Debian. test/fixtures/ocr/ holds a small slice made by this script.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { seeded } from '../bench/vectors.js';
import { render, type CorpusImage, type Kind } from './render.js';

export const kinds: Kind[] = [
  'screenshot',
  'small',
  'slide',
  'meme',
  'photographed',
  'textured',
  'rotated',
  'chinese',
  'no-text',
];

export async function makeCorpus(out: string, perKind: number, seed: number): Promise<CorpusImage[]> {
  await mkdir(out, { recursive: true });
  const random = seeded(seed);
  const images: CorpusImage[] = [];
  for (const kind of kinds) {
    for (let i = 0; i < perKind; i++) {
      const rendered = await render(kind, random);
      const file = `${kind}-${String(i).padStart(3, '0')}.${rendered.format}`;
      // SVG drawings become PNG here: the indexer reads raster images only.
      const bytes = rendered.format === 'png' ? await sharp(rendered.bytes).png().toBuffer() : rendered.bytes;
      await writeFile(path.join(out, file), bytes);
      images.push({ file, kind, lines: rendered.lines, words: rendered.words });
    }
  }
  await writeFile(path.join(out, 'truth.json'), `${JSON.stringify(images, null, 1)}\n`);
  return images;
}

if (import.meta.filename === path.resolve(process.argv[1] ?? '')) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: '/tmp/ocr-corpus' },
      'per-kind': { type: 'string', default: '40' },
      seed: { type: 'string', default: '19' },
    },
  });
  const images = await makeCorpus(values.out, Number(values['per-kind']), Number(values.seed));
  process.stdout.write(`${images.length} images in ${values.out}\n`);
}
