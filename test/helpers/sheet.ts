import sharp from 'sharp';
import { contactSheetSize, placeholderFill } from '../../src/render/contact-sheet.js';

// The contact sheet's layout, as src/render/contact-sheet.ts draws it.
const tileSize = 256;
const labelHeight = 44;
const gap = 8;

const fill = [1, 3, 5].map((i) => parseInt(placeholderFill.slice(i, i + 2), 16));

/**
 * Ranks (1-based positions) of the tiles of a contact sheet drawn as the "no preview" placeholder: most of
 * the tile in the placeholder's flat colour, which no photo (and no grey image: its channels are equal) has.
 */
export async function placeholderTiles(sheet: Buffer, count: number): Promise<number[]> {
  const { columns, width, height } = contactSheetSize(count);
  const meta = await sharp(sheet).metadata();
  if (meta.width !== width || meta.height !== height) {
    throw new Error(`a sheet of ${count} tiles is ${width}x${height}, this one ${meta.width}x${meta.height}`);
  }
  const found: number[] = [];
  for (let i = 0; i < count; i++) {
    const left = gap + (i % columns) * (tileSize + gap);
    const top = gap + Math.floor(i / columns) * (tileSize + labelHeight + gap);
    const pixels = await sharp(sheet)
      .extract({ left, top, width: tileSize, height: tileSize })
      .removeAlpha()
      .raw()
      .toBuffer();
    let flat = 0;
    for (let p = 0; p < pixels.length; p += 3) {
      if (fill.every((c, k) => Math.abs((pixels[p + k] as number) - c) <= 6)) flat++;
    }
    if (flat / (tileSize * tileSize) > 0.5) found.push(i + 1);
  }
  return found;
}
