import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fitAttachment } from '../../src/render/attachments.js';
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
  it('keeps an image that fits as it is', async () => {
    const bytes = await readFile(path.join(images, 'photo-cat.jpg'));
    const attachment = await fitAttachment(bytes, 'photo-cat.jpg', 1024 * 1024, maxPixels);
    expect(attachment).toMatchObject({ name: 'photo-cat.jpg', contentType: 'image/jpeg' });
    expect(attachment?.bytes.equals(bytes)).toBe(true);
  });

  it('re-encodes an image over the budget into a JPEG thumbnail under it', async () => {
    const bytes = await readFile(path.join(images, 'photo-china.jpg'));
    const budget = 20_000;
    expect(bytes.length).toBeGreaterThan(budget);
    const attachment = await fitAttachment(bytes, 'photo-china.jpg', budget, maxPixels);
    expect(attachment?.name).toBe('photo-china.jpg');
    expect(attachment?.contentType).toBe('image/jpeg');
    expect(attachment!.bytes.length).toBeLessThanOrEqual(budget);
    const meta = await sharp(attachment!.bytes).metadata();
    expect(meta.width).toBeLessThan(640);
  });

  it('re-encodes formats chat clients do not show inline, and leaves out what cannot be decoded', async () => {
    const gray = await readFile(path.join(images, 'grayscale-16bit.png'));
    const png = await fitAttachment(gray, 'grayscale-16bit.png', 10 * 1024 * 1024, maxPixels);
    expect(png?.contentType).toBe('image/png');
    const svg = await fitAttachment(
      await readFile(path.join(images, 'vector.svg')),
      'vector.svg',
      1e7,
      maxPixels,
    );
    expect(svg).toMatchObject({ name: 'vector.jpg', contentType: 'image/jpeg' });
    const corrupt = await fitAttachment(
      await readFile(path.join(images, 'not-an-image.jpg')),
      'x.jpg',
      1e7,
      maxPixels,
    );
    expect(corrupt).toBeUndefined();
  });
});
