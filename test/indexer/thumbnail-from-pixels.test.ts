// The thumbnail of a large JPEG made from the pixels the model's preprocessing decoded (decoded once) against
// the one made from the bytes: same size, upright, same picture.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jpegThumbnailSize,
  makeThumbnail,
  makeThumbnailFromPixels,
  thumbnailEdge,
} from '../../src/indexer/thumbnail.js';
import type { Embedder } from '../../src/model/types.js';
import { tinyEmbedder } from '../model/helpers/fixtures.js';
import { largePhotoPair } from './helpers/phone-photo.js';

let embedder: Embedder;
beforeAll(async () => {
  embedder = await tinyEmbedder();
});
afterAll(() => embedder.close());

/** A flat JPEG of this size (cheap to encode and decode; only its size matters). */
const flatJpeg = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 90, g: 140, b: 60 } } })
    .jpeg()
    .toBuffer();

/** Mean absolute difference of two decoded images of the same size, per channel value. */
async function meanDifference(a: Buffer, b: Buffer) {
  const [x, y] = await Promise.all([a, b].map((i) => sharp(i).raw().toBuffer({ resolveWithObject: true })));
  expect(y!.info).toEqual(x!.info);
  let sum = 0;
  for (let i = 0; i < x!.data.length; i++) sum += Math.abs((x!.data[i] as number) - (y!.data[i] as number));
  return sum / x!.data.length;
}

describe('thumbnails made from decoded pixels', () => {
  it('have the size makeThumbnail gives the JPEG, whatever its size (sharp shrinks it on load first)', async () => {
    const sizes = [
      [4032, 3024],
      [3024, 4032],
      [4001, 3001],
      [3999, 2999],
      [2000, 1500],
      [1999, 1501],
      [1344, 1008],
      [2049, 1537],
      [4000, 300],
      [300, 4000],
      [5000, 333],
      [1025, 769],
      [513, 257],
      [257, 100],
      [256, 256],
      [200, 100],
      [2047, 2047],
      [3001, 1999],
      [1100, 5],
    ];
    for (const [width, height] of sizes as [number, number][]) {
      const thumbnail = await makeThumbnail('size', await flatJpeg(width, height));
      const meta = await sharp(thumbnail).metadata();
      expect(jpegThumbnailSize({ width, height }), `${width}x${height}`).toEqual({
        width: meta.width,
        height: meta.height,
      });
      expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(thumbnailEdge);
    }
  });

  it('match the thumbnail made from the bytes of a large JPEG, upright when stored turned', async () => {
    const { upright, turned } = await largePhotoPair();
    const fromBytes = await makeThumbnail('upright', upright);
    for (const [name, bytes] of [
      ['upright', upright],
      ['turned', turned],
    ] as const) {
      const image = await embedder.prepareImage({ name, bytes }, { keepUpright: true });
      expect(image.upright, name).toBeDefined();
      const made = await makeThumbnailFromPixels(name, image.upright!, image);
      const meta = await sharp(made.thumbnail).metadata();
      expect([meta.format, meta.width, meta.height, meta.channels], name).toEqual(['jpeg', 256, 192, 3]);
      expect([made.pixels.width, made.pixels.height, made.pixels.channels], name).toEqual([256, 192, 3]);
      // Two resamplings instead of libjpeg's shrink and one: the same picture within a grey level or two; a
      // thumbnail left turned would be far off (and not even the same shape).
      expect(await meanDifference(fromBytes, made.thumbnail), name).toBeLessThan(2);
    }
  });
});
