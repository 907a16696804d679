import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeThumbnail, thumbnailEdge } from '../../src/indexer/thumbnail.js';
import { thumbnailAttachment } from '../../src/render/attachments.js';
import { placeholderTiles } from '../helpers/sheet.js';
import { contactSheetSize, renderContactSheet } from '../../src/render/contact-sheet.js';

const images = path.resolve(import.meta.dirname, '../fixtures/images');
const maxPixels = 100_000_000;

describe('contact sheet', () => {
  it('draws every result as a tile in a grid of the documented size, placeholders for unreadable ones', async () => {
    const cat = await readFile(path.join(images, 'photo-cat.jpg'));
    const tiles = [
      { rank: 1, score: 0.91, name: 'photo-cat.jpg', bytes: cat },
      {
        rank: 2,
        score: 0.5,
        name: 'corrupt <&> "name".jpg',
        bytes: await readFile(path.join(images, 'corrupt.jpg')),
      },
      { rank: 3, score: 0.1, name: 'gone.jpg', bytes: undefined },
      ...Array.from({ length: 4 }, (_, i) => ({ rank: 4 + i, score: 0, name: `cat-${i}.jpg`, bytes: cat })),
    ];
    const sheet = await renderContactSheet(tiles, { maxPixels });
    const meta = await sharp(sheet).metadata();
    const expected = contactSheetSize(7);
    expect(expected).toMatchObject({ columns: 5 });
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
      format: 'jpeg',
      width: expected.width,
      height: expected.height,
    });
    expect(contactSheetSize(2).width).toBeLessThan(expected.width);
    expect(contactSheetSize(11).height).toBeGreaterThan(expected.height);
  });

  it('writes the rank and score under each tile (the label strip is not blank)', async () => {
    const cat = await readFile(path.join(images, 'photo-cat.jpg'));
    const sheet = await renderContactSheet([{ rank: 1, score: 0.9, name: 'cat', bytes: cat }], { maxPixels });
    const { width } = contactSheetSize(1);
    // The label strip sits under the 256 px tile, from y = 8 + 256.
    const strip = await sharp(sheet)
      .extract({ left: 8, top: 8 + 256, width: width - 16, height: 40 })
      .stats();
    const brightest = Math.max(...strip.channels.map((c) => c.max));
    expect(brightest).toBeGreaterThan(150);
  });
});

describe('attachments', () => {
  it('sends a stored thumbnail as a JPEG named after the image, when it fits the upload limit', async () => {
    const thumbnail = await makeThumbnail(
      'photo-china.png',
      await readFile(path.join(images, 'photo-china.jpg')),
    );
    const attachment = thumbnailAttachment(thumbnail, 'photo-china.png', 1024 * 1024);
    expect(attachment).toMatchObject({ name: 'photo-china.jpg', contentType: 'image/jpeg' });
    expect(attachment?.bytes.equals(thumbnail)).toBe(true);
    expect(thumbnailAttachment(thumbnail, 'photo-china.png', thumbnail.length - 1)).toBeUndefined();
  });

  it('sends a thumbnail stored before (320 px WebP) as the WebP it is', async () => {
    const old = await sharp(path.join(images, 'photo-china.jpg')).resize(320).webp().toBuffer();
    expect(thumbnailAttachment(old, 'photo-china.jpg', 1024 * 1024)).toMatchObject({
      name: 'photo-china.webp',
      contentType: 'image/webp',
    });
  });
});

describe('thumbnails made at index time', () => {
  it('are upright JPEGs of at most the thumbnail edge, a few KB, never enlarged', async () => {
    const rotated = await makeThumbnail('exif', await readFile(path.join(images, 'exif-orientation-6.jpg')));
    const original = await sharp(path.join(images, 'exif-orientation-6.jpg')).metadata();
    const meta = await sharp(rotated).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width!, meta.height!)).toBe(thumbnailEdge);
    // Orientation 6 stores the picture on its side: the thumbnail swaps width and height back.
    expect(meta.width! > meta.height!).toBe(original.width! < original.height!);
    expect(rotated.length).toBeLessThan(20_000);
    const tiny = await sharp(
      await makeThumbnail('tiny', await readFile(path.join(images, 'tiny-8x8.png'))),
    ).metadata();
    expect({ width: tiny.width, height: tiny.height }).toEqual({ width: 8, height: 8 });
  });

  it('draw transparent pixels on the dark grey chat clients show around images', async () => {
    const png = await readFile(path.join(images, 'rgba-transparent.png'));
    const thumbnail = await makeThumbnail('rgba', png);
    const { data, info } = await sharp(thumbnail).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    // Where the original is fully transparent, the thumbnail is the background (JPEG-close).
    const { data: alpha, info: at } = await sharp(png)
      .resize(info.width, info.height, { fit: 'fill' })
      .ensureAlpha()
      .extractChannel(3)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const clear = alpha.findIndex((a, i) => a === 0 && i % at.width > 2 && i % at.width < at.width - 3);
    expect(clear).toBeGreaterThanOrEqual(0);
    const rgb = [...data.subarray(clear * 3, clear * 3 + 3)];
    rgb.forEach((c, k) => expect(Math.abs(c - [32, 34, 37][k]!)).toBeLessThan(12));
  });

  it('refuse what cannot be decoded with an error naming the input', async () => {
    await expect(
      makeThumbnail('corrupt.jpg', await readFile(path.join(images, 'truncated.jpg'))),
    ).rejects.toThrow(/^corrupt\.jpg: no thumbnail could be made/);
  });
});

describe('placeholder tiles', () => {
  it('a hit without a thumbnail is drawn as a placeholder (found by the tile check the end-to-end tests use)', async () => {
    const thumbnail = await makeThumbnail('cat', await readFile(path.join(images, 'photo-cat.jpg')));
    const gray = await makeThumbnail('gray', await readFile(path.join(images, 'grayscale.jpg')));
    const sheet = await renderContactSheet(
      [
        { rank: 1, score: 0.9, name: 'photo-cat.jpg', bytes: thumbnail },
        { rank: 2, score: 0.8, name: 'no-preview.jpg', bytes: undefined },
        { rank: 3, score: 0.7, name: 'grayscale.jpg', bytes: gray },
      ],
      { maxPixels },
    );
    expect(await placeholderTiles(sheet, 3)).toEqual([2]);
  });
});
