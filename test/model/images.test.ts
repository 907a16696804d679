// Images against the reference (transformers CLIPImageProcessor on PIL + CLIPModel in torch, expected.json).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder, EmbedOutcome, PreparedImage } from '../../src/model/types.js';
import { describeDecodeFailure } from '../../src/model/preprocess.js';
import { InputError } from '../../src/util/errors.js';
import { clipDir, cosine, fixtures, readExpected, tinyEmbedder, type Expected } from './helpers/fixtures.js';

let expected: Expected;
let embedder: Embedder;
let outcomes: EmbedOutcome[];

beforeAll(async () => {
  expected = await readExpected(clipDir);
  embedder = await tinyEmbedder();
  // Every fixture, good and bad, in one call: a bad input must not stop the batch.
  outcomes = await embedder.embedImages(
    expected.images.map((i) => ({ name: i.file, path: path.join(fixtures, i.file) })),
  );
});
afterAll(() => embedder.close());

/** The uint8 value behind each normalised value (CLIP mean/std), to compare with the reference crop. */
async function greyLevelDifferences(image: PreparedImage, referencePng: string) {
  const { data, info } = await sharp(referencePng).raw().toBuffer({ resolveWithObject: true });
  const config = JSON.parse(await readFile(path.join(clipDir, 'preprocessor_config.json'), 'utf8'));
  const plane = info.width * info.height;
  let max = 0;
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const value = image.pixels[c * plane + i] as number;
      const level = Math.round((value * config.image_std[c] + config.image_mean[c]) / config.rescale_factor);
      const diff = Math.abs(level - (data[i * info.channels + c] as number));
      max = Math.max(max, diff);
      sum += diff;
    }
  }
  return { max, mean: sum / (3 * plane) };
}

describe('images against the reference', () => {
  it('embeds every image the reference embedded, cosine >= 0.999 (fp32)', () => {
    const cosines = expected.images.flatMap((image, i) => {
      if (!image.embedding) return [];
      const outcome = outcomes[i];
      expect(outcome, image.file).toBeInstanceOf(Float32Array);
      return [{ file: image.file, cos: cosine(outcome as Float32Array, image.embedding) }];
    });
    expect(cosines.length).toBeGreaterThanOrEqual(16);
    const worst = cosines.reduce((a, b) => (b.cos < a.cos ? b : a));
    console.log(
      `image cosine vs reference: min ${worst.cos.toFixed(6)} (${worst.file}) over ${cosines.length} images`,
    );
    for (const { file, cos } of cosines) expect(cos, file).toBeGreaterThanOrEqual(0.999);
  });

  it('refuses what the reference could not read, with an InputError naming the file', () => {
    const refused = expected.images.filter((image) => image.error);
    expect(refused.map((r) => path.basename(r.file)).sort()).toEqual(
      [
        'bomb-30000x30000.png',
        'corrupt.jpg',
        'empty.jpg',
        'not-an-image.jpg',
        'truncated.jpg',
        'vector.svg',
      ].sort(),
    );
    for (const image of refused) {
      const outcome = outcomes[expected.images.indexOf(image)];
      expect(outcome, image.file).toBeInstanceOf(InputError);
      expect((outcome as InputError).input).toBe(image.file);
    }
  });

  it('says why each bad input was refused', () => {
    const reason = (file: string) =>
      (outcomes[expected.images.findIndex((i) => i.file === file)] as InputError).reason;
    expect(reason('images/empty.jpg')).toMatch(/empty/);
    expect(reason('images/not-an-image.jpg')).toMatch(/not an image/);
    expect(reason('images/vector.svg')).toMatch(/SVG is not accepted/);
    expect(reason('images/bomb-30000x30000.png')).toMatch(/30000x30000.*LOOKALIKE_MAX_IMAGE_PIXELS/);
    // libvips' message text is not reliable when images decode side by side (sometimes "Unknown error"): the
    // reason then says the likely cause rather than nothing (describeDecodeFailure).
    for (const file of ['images/truncated.jpg', 'images/corrupt.jpg']) {
      expect(reason(file)).toMatch(/^cannot be decoded: \S/);
      expect(reason(file)).not.toMatch(/Unknown error|:$/);
    }
  });

  it('says a decode failure plainly when libvips gives no detail', () => {
    expect(describeDecodeFailure(new Error('Unknown error'))).toBe('the file is damaged or incomplete');
    expect(describeDecodeFailure(new Error(''))).toBe('the file is damaged or incomplete');
    expect(describeDecodeFailure(new Error('Input buffer has corrupt header:'))).toBe(
      'Input buffer has corrupt header (the file is damaged or incomplete)',
    );
    expect(describeDecodeFailure(new Error('VipsJpeg: premature end of JPEG image\nvips2png: unable'))).toBe(
      'VipsJpeg: premature end of JPEG image',
    );
  });

  it('preprocesses to the reference crop within a few grey levels, exactly when enlarging', async () => {
    for (const image of expected.images.filter((i) => i.preprocessed)) {
      const prepared = await embedder.prepareImage({
        name: image.file,
        path: path.join(fixtures, image.file),
      });
      const diff = await greyLevelDifferences(prepared, path.join(clipDir, image.preprocessed as string));
      // Shrinking is libvips (a grey level or so off PIL, more on the alpha edge); enlarging is Pillow's own code.
      const enlarged =
        (image.resized as [number, number])[1] > prepared.height ||
        (image.resized as [number, number])[0] > prepared.width;
      if (enlarged) expect(diff.max, image.file).toBe(0);
      else {
        expect(diff.mean, image.file).toBeLessThan(0.25);
        expect(diff.max, image.file).toBeLessThanOrEqual(16);
      }
    }
  });

  it('reports the upright size of the source', async () => {
    const rotated = await embedder.prepareImage({
      name: 'x',
      path: path.join(fixtures, 'images/exif-orientation-6.jpg'),
    });
    expect([rotated.width, rotated.height]).toEqual([451, 300]);
    expect(rotated.pixels).toHaveLength(3 * 224 * 224);
  });

  // 1600x1200: shrunk on load for the model alone (the thumbnail decodes on its own). 3200x2400: decoded once,
  // shrunk on load to twice the model's input, for the model and the indexer's thumbnail (decode-once.ts).
  it.each([
    [1600, 1200, undefined],
    [3200, 2400, [596, 448]],
  ])(
    'prepares a %ix%i photo stored turned (every EXIF orientation) as the same photo stored upright',
    async (width, height, decodedOnce) => {
      const upright = await sharp(path.join(fixtures, 'images/photo-china.jpg'))
        .resize(width, height, { fit: 'fill' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const raw = { raw: { width, height, channels: 3 as const } };
      const reference = await embedder.prepareImage(
        { name: 'upright', bytes: await sharp(upright.data, raw).jpeg({ quality: 95 }).toBuffer() },
        { keepUpright: true },
      );
      const keptSize = (image: PreparedImage) => image.upright && [image.upright.width, image.upright.height];
      expect(keptSize(reference)).toEqual(decodedOnce);
      // The stored pixels of each orientation: the upright ones turned back (sharp's inverse of its auto-orient).
      const storedAs: Record<number, (s: ReturnType<typeof sharp>) => ReturnType<typeof sharp>> = {
        2: (s) => s.flop(),
        3: (s) => s.rotate(180),
        4: (s) => s.flip(),
        5: (s) => s.rotate(270).flop(),
        6: (s) => s.rotate(270),
        7: (s) => s.rotate(90).flop(),
        8: (s) => s.rotate(90),
      };
      for (const [orientation, turn] of Object.entries(storedAs)) {
        const stored = await turn(sharp(upright.data, raw)).raw().toBuffer({ resolveWithObject: true });
        const bytes = await sharp(stored.data, { raw: { ...stored.info, channels: 3 } })
          .jpeg({ quality: 95 })
          .withMetadata({ orientation: Number(orientation) })
          .toBuffer();
        const turned = await embedder.prepareImage(
          { name: `orientation ${orientation}`, bytes },
          { keepUpright: true },
        );
        expect([turned.width, turned.height], orientation).toEqual([width, height]);
        expect(keptSize(turned), orientation).toEqual(decodedOnce);
        let max = 0;
        for (let i = 0; i < turned.pixels.length; i++)
          max = Math.max(max, Math.abs((turned.pixels[i] as number) - (reference.pixels[i] as number)));
        // Normalised units: 0.1 is about 3 grey levels (JPEG blocks fall differently on turned pixels).
        expect(max, `orientation ${orientation}`).toBeLessThan(0.1);
        if (turned.upright && reference.upright) {
          let sum = 0;
          for (let i = 0; i < turned.upright.data.length; i++)
            sum += Math.abs((turned.upright.data[i] as number) - (reference.upright.data[i] as number));
          // The kept pixels are upright too: on average within a grey level of the upright photo's.
          expect(sum / turned.upright.data.length, `orientation ${orientation}`).toBeLessThan(1);
        }
      }
      // Only when asked: a caller that does not make a thumbnail holds no extra pixels.
      expect(
        (
          await embedder.prepareImage({
            name: 'plain',
            bytes: await sharp(upright.data, raw).jpeg().toBuffer(),
          })
        ).upright,
      ).toBeUndefined();
    },
  );

  it('gives the same vectors for bytes and paths, and whatever the batch size', async () => {
    const files = [
      'images/photo-cat.jpg',
      'images/tiny-8x8.png',
      'images/empty.jpg',
      'images/cmyk.jpg',
      'derived/photo-china-half.jpg',
    ];
    const inputs = await Promise.all(
      files.map(async (file) => ({ name: file, bytes: await readFile(path.join(fixtures, file)) })),
    );
    const small = await tinyEmbedder({ batchSize: 2 });
    try {
      const byBytes = await small.embedImages(inputs);
      files.forEach((file, k) => {
        const reference = outcomes[expected.images.findIndex((i) => i.file === file)];
        if (reference instanceof InputError) expect(byBytes[k]).toBeInstanceOf(InputError);
        else
          expect(cosine(byBytes[k] as Float32Array, reference as Float32Array), file).toBeGreaterThan(
            0.999999,
          );
      });
    } finally {
      await small.close();
    }
  });

  it('refuses files over the byte and pixel limits', async () => {
    const limited = await tinyEmbedder({ limits: { maxBytes: 100_000, maxPixels: 200_000 } });
    try {
      const [big, many, ok] = await limited.embedImages([
        { name: 'china', path: path.join(fixtures, 'images/photo-china.jpg') }, // 196 kB
        { name: 'coffee', path: path.join(fixtures, 'images/photo-coffee.jpg') }, // 72 kB, 240k pixels
        { name: 'cat', path: path.join(fixtures, 'images/photo-cat.jpg') }, // 35 kB, 135k pixels
      ]);
      expect((big as InputError).reason).toMatch(/too large: 0\.2 MiB .*LOOKALIKE_MAX_IMAGE_BYTES/);
      expect((many as InputError).reason).toMatch(/too many pixels: 600x400 .*LOOKALIKE_MAX_IMAGE_PIXELS/);
      expect(ok).toBeInstanceOf(Float32Array);
    } finally {
      await limited.close();
    }
  });

  it('embeds odd but valid images made on the fly, and refuses non-images given as bytes', async () => {
    const cat = () => sharp(path.join(fixtures, 'images/photo-cat.jpg'));
    const solid = (width: number, height: number) =>
      sharp({ create: { width, height, channels: 3, background: '#3366cc' } })
        .png()
        .toBuffer();
    const good = {
      '1x1.png': await solid(1, 1),
      '100x100000.png': await solid(100, 100_000),
      'rgba16.png': await cat().ensureAlpha(0.5).toColourspace('rgb16').png().toBuffer(),
      'palette-alpha.png': await cat().ensureAlpha(0.3).png({ palette: true }).toBuffer(),
      'cat.tiff': await cat().tiff().toBuffer(),
      'cat.avif': await cat().avif().toBuffer(),
      'trailing-bytes.jpg': Buffer.concat([
        await cat().jpeg().toBuffer(),
        Buffer.from('junk after the end marker'),
      ]),
    };
    const bad = {
      'page.jpg': [Buffer.from('<html><body>hello</body></html>'), /not an image \(no known image format\)/],
      'doc.pdf': [
        Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n'),
        /not an image \(the content is application\/pdf\)/,
      ],
      'with-declaration.svg': [
        Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'),
        /SVG is not accepted/,
      ],
    } as const;
    const names = [...Object.keys(good), ...Object.keys(bad)];
    const bytes = [...Object.values(good), ...Object.values(bad).map(([b]) => b)];
    const results = await embedder.embedImages(names.map((name, i) => ({ name, bytes: bytes[i] as Buffer })));
    Object.keys(good).forEach((name, i) => expect(results[i], name).toBeInstanceOf(Float32Array));
    Object.entries(bad).forEach(([name, [, reason]], k) => {
      const outcome = results[Object.keys(good).length + k] as InputError;
      expect(outcome.input).toBe(name);
      expect(outcome.reason).toMatch(reason);
    });
  });

  it('names a missing file', async () => {
    const [missing] = await embedder.embedImages([
      { name: 'gone.jpg', path: path.join(fixtures, 'gone.jpg') },
    ]);
    expect(missing).toEqual(new InputError('gone.jpg', 'file not found'));
  });
});
