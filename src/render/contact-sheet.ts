import sharp from 'sharp';
import { formatScore } from './list.js';

export interface SheetTile {
  rank: number;
  score: number;
  name: string;
  /** Words of the image that matched a text query: shown instead of the name. */
  words?: string;
  /** The image's stored thumbnail, or undefined when it has none (a placeholder with the name is drawn). */
  bytes: Buffer | undefined;
}

export interface SheetOptions {
  /** Refuse to decode larger images (decompression bombs). */
  maxPixels: number;
}

const tileSize = 256;
const labelHeight = 44;
const gap = 8;
const maxColumns = 5;
const background = { r: 32, g: 34, b: 37 };
const backgroundPixel = Buffer.from([background.r, background.g, background.b]);
/** The colour of a tile whose image has no thumbnail. */
export const placeholderFill = '#4f545c';

/** Pixel size of the sheet for `count` tiles: up to five per row. */
export function contactSheetSize(count: number): { width: number; height: number; columns: number } {
  const columns = Math.max(1, Math.min(count, maxColumns));
  const rows = Math.max(1, Math.ceil(count / maxColumns));
  return {
    columns,
    width: gap + columns * (tileSize + gap),
    height: gap + rows * (tileSize + labelHeight + gap),
  };
}

/**
 * One JPEG with every result as a thumbnail and its rank, score and name written under it. The text is an
 * SVG overlay rendered by sharp's librsvg with the system's sans-serif font (no font is fetched).
 */
export async function renderContactSheet(tiles: SheetTile[], options: SheetOptions): Promise<Buffer> {
  const { width, height, columns } = contactSheetSize(tiles.length);
  const at = (i: number) => ({
    left: gap + (i % columns) * (tileSize + gap),
    top: gap + Math.floor(i / columns) * (tileSize + labelHeight + gap),
  });
  // Tiles and labels are drawn side by side on libuv's pool. Labels are one SVG strip per row, not one SVG
  // over the whole sheet: librsvg's cost follows the area it renders (a full-sheet overlay cost about as
  // much as decoding all five tiles, bench/thumbnails.md).
  const rows = Array.from({ length: Math.ceil(tiles.length / columns) }, (_, r) =>
    tiles.slice(r * columns, (r + 1) * columns),
  );
  const [placed, strips] = await Promise.all([
    Promise.all(
      tiles.map(async (tile, i) => ({ ...at(i), input: await tileImage(tile, options.maxPixels) })),
    ),
    Promise.all(rows.map((row) => labelStrip(row, width))),
  ]);
  // Everything is copied into one raw canvas here (row copies, well under a millisecond): a libvips composite
  // layer per tile cost as much as decoding them (bench/thumbnails.md).
  const canvas = Buffer.alloc(width * height * 3, backgroundPixel);
  for (const { input, left, top } of placed) paste(canvas, width, input, left, top);
  strips.forEach((strip, r) => strip.copy(canvas, (at(r * columns).top + tileSize) * width * 3));
  // Without optimised Huffman tables: half the encoding time (a second pass over the sheet) for 1-2% more bytes.
  return sharp(canvas, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85, optimiseCoding: false })
    .toBuffer();
}

/** The labels under one row of tiles, drawn on the sheet's background: RGB pixels as wide as the sheet. */
async function labelStrip(row: SheetTile[], width: number): Promise<Buffer> {
  const labels = row.map((tile, i) => label(tile, gap + i * (tileSize + gap), 0));
  const fill = `rgb(${background.r},${background.g},${background.b})`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${labelHeight}"><rect width="100%" height="100%" fill="${fill}"/>${labels.join('')}</svg>`;
  return sharp(Buffer.from(svg)).removeAlpha().raw({ depth: 'uchar' }).toBuffer();
}

/** Copies an RGB tile into the canvas, centred in its square. */
function paste(canvas: Buffer, canvasWidth: number, tile: RawTile, left: number, top: number): void {
  const { width, height } = tile.info;
  const x = left + Math.floor((tileSize - width) / 2);
  const y = top + Math.floor((tileSize - height) / 2);
  for (let row = 0; row < height; row++) {
    const from = row * width * 3;
    tile.data.copy(canvas, ((y + row) * canvasWidth + x) * 3, from, from + width * 3);
  }
}

/** RGB pixels, at most a tile in each direction. */
interface RawTile {
  data: Buffer;
  info: { width: number; height: number };
}

/** The thumbnail fitted into a square tile (raw pixels: no encoding round trip), or a placeholder. */
async function tileImage(tile: SheetTile, maxPixels: number): Promise<RawTile> {
  const { bytes } = tile;
  if (bytes) {
    try {
      return await rgb(
        sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
          .rotate()
          .resize(tileSize, tileSize, { fit: 'inside' }),
      );
    } catch {
      // Drawn as a placeholder: one unreadable image must not cost the whole answer.
    }
  }
  const name = tile.name.length > 26 ? `${tile.name.slice(0, 25)}…` : tile.name;
  const missing = `<svg xmlns="http://www.w3.org/2000/svg" width="${tileSize}" height="${tileSize}">
    <rect width="100%" height="100%" fill="${placeholderFill}"/>
    <text x="50%" y="45%" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="18"
      fill="#dcddde">no preview</text>
    <text x="50%" y="58%" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="14"
      fill="#dcddde">${escapeXml(name)}</text></svg>`;
  return rgb(sharp(Buffer.from(missing)));
}

/** 8-bit RGB on the sheet's background, whatever the image's channels (grey, alpha, 16 bit). */
const rgb = (image: ReturnType<typeof sharp>): Promise<RawTile> =>
  image
    .flatten({ background })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });

function label(tile: SheetTile, left: number, top: number): string {
  const second = tile.words ? `“${tile.words}”` : tile.name;
  const shown = second.length > 30 ? `${second.slice(0, 29)}…` : second;
  return (
    `<text x="${left + 4}" y="${top + 19}" font-family="DejaVu Sans, sans-serif" font-size="17" ` +
    `font-weight="bold" fill="#ffffff">#${tile.rank}  ${formatScore(tile.score)}</text>` +
    `<text x="${left + 4}" y="${top + 38}" font-family="DejaVu Sans, sans-serif" font-size="13" ` +
    `fill="${tile.words ? '#faa61a' : '#b9bbbe'}">${escapeXml(shown)}</text>`
  );
}

const xmlEntities: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  '"': '&quot;',
  "'": '&apos;',
};

/** File names are user data: escape markup and drop control characters XML cannot hold. */
const escapeXml = (text: string) =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u001f]/g, '').replace(/[<>&"']/g, (c) => xmlEntities[c] ?? c);
