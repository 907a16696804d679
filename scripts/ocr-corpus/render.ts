// Renders the corpus images: SVG text drawn by sharp (librsvg, fonts from fontconfig) over flat colours,
// noise textures and the fixture photos. Every choice comes from one seeded generator, so a seed and a count
// always give the same images.
import path from 'node:path';
import sharp from 'sharp';
import { chinese, english, meme, technical } from './words.js';

export type Kind =
  'screenshot' | 'small' | 'slide' | 'meme' | 'photographed' | 'textured' | 'rotated' | 'chinese' | 'no-text';

/** One generated image and the text written in it, line by line. */
export interface CorpusImage {
  file: string;
  kind: Kind;
  lines: string[];
  /** Chinese lines are written without spaces; `words` keeps the words they were made of. */
  words: string[];
}

export interface Rendered {
  bytes: Buffer;
  lines: string[];
  words: string[];
  format: 'png' | 'jpg';
}

type Random = () => number;

const photos = ['photo-cat.jpg', 'photo-china.jpg', 'photo-coffee.jpg', 'photo-flower.jpg'].map((name) =>
  path.resolve(import.meta.dirname, '../../test/fixtures/images', name),
);
const sans = ['DejaVu Sans', 'Liberation Sans'];
const mono = ['DejaVu Sans Mono', 'Liberation Mono'];
const cjk = 'WenQuanYi Micro Hei';

const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
const between = (random: Random, low: number, high: number) => low + random() * (high - low);
const int = (random: Random, low: number, high: number) => Math.floor(between(random, low, high + 1));

function phrase(random: Random, min: number, max: number): string {
  return Array.from({ length: int(random, min, max) }, () => pick(random, english)).join(' ');
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface TextSpec {
  text: string;
  x: number;
  y: number;
  size: number;
  font: string;
  fill: string;
  weight?: 'bold' | 'normal';
  stroke?: string;
  anchor?: 'start' | 'middle';
}

function svgText(t: TextSpec): string {
  const stroke = t.stroke
    ? ` stroke="${t.stroke}" stroke-width="${Math.max(2, t.size / 12)}" paint-order="stroke"`
    : '';
  return (
    `<text x="${t.x}" y="${t.y}" font-family="${t.font}" font-size="${t.size}" font-weight="${t.weight ?? 'normal'}"` +
    ` fill="${t.fill}" text-anchor="${t.anchor ?? 'start'}"${stroke}>${escape(t.text)}</text>`
  );
}

const svg = (width: number, height: number, body: string, background = 'none') =>
  Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect width="100%" height="100%" fill="${background}"/>${body}</svg>`,
  );

/** A window with a title bar and lines of UI text, light or dark. */
function screenshot(random: Random, small: boolean): Rendered {
  const dark = random() < 0.4;
  const width = small ? 1000 : int(random, 640, 900);
  const size = small ? int(random, 9, 11) : int(random, 14, 20);
  const font = pick(random, random() < 0.5 ? sans : mono);
  const count = int(random, 3, 6);
  const lines = [pick(random, technical)];
  while (lines.length < count) lines.push(random() < 0.3 ? pick(random, technical) : phrase(random, 2, 6));
  lines.sort(() => random() - 0.5);
  const title = phrase(random, 1, 3);
  const gap = Math.round(size * 1.8);
  const height = Math.max(small ? 400 : 300, 60 + gap * (count + 1));
  const fg = dark ? '#e6e6e6' : '#1f2328';
  const body = [
    `<rect width="${width}" height="36" fill="${dark ? '#2d2d30' : '#e8e8e8'}"/>`,
    `<circle cx="18" cy="18" r="6" fill="#ff5f57"/><circle cx="38" cy="18" r="6" fill="#febc2e"/>`,
    svgText({
      text: title,
      x: width / 2,
      y: 24,
      size: 14,
      font: sans[0] as string,
      fill: fg,
      anchor: 'middle',
    }),
    ...lines.map((text, i) => svgText({ text, x: 24, y: 60 + gap * (i + 1), size, font, fill: fg })),
  ].join('');
  return {
    bytes: svg(width, height, body, dark ? '#1e1e1e' : '#ffffff'),
    lines: [title, ...lines],
    words: [],
    format: 'png',
  };
}

function slide(random: Random): Rendered {
  const width = 1024;
  const height = 768;
  const [bg, fg] = pick(random, [
    ['#ffffff', '#222222'],
    ['#0b3d91', '#ffffff'],
    ['#f4efe6', '#3b2f2f'],
    ['#1b1b1b', '#f0c000'],
  ] as const);
  const title = phrase(random, 2, 4);
  const bullets = [pick(random, technical), phrase(random, 3, 5), phrase(random, 3, 5)];
  const font = pick(random, sans);
  const body = [
    svgText({ text: title, x: 60, y: 120, size: 48, font, fill: fg, weight: 'bold' }),
    ...bullets.map((text, i) =>
      svgText({ text: `• ${text}`, x: 80, y: 260 + i * 90, size: 30, font, fill: fg }),
    ),
  ].join('');
  return { bytes: svg(width, height, body, bg), lines: [title, ...bullets], words: [], format: 'png' };
}

async function photo(random: Random, width: number, height: number): Promise<Buffer> {
  const file = pick(random, photos);
  const meta = await sharp(file).metadata();
  const scale = between(random, 0.5, 1);
  const w = Math.round((meta.width ?? width) * scale);
  const h = Math.round((meta.height ?? height) * scale);
  const left = int(random, 0, (meta.width ?? w) - w);
  const top = int(random, 0, (meta.height ?? h) - h);
  return sharp(file)
    .extract({ left, top, width: w, height: h })
    .resize(width, height, { fit: 'cover' })
    .modulate({ hue: int(random, 0, 60), brightness: between(random, 0.8, 1.1) })
    .flop(random() < 0.5)
    .toBuffer();
}

/** Outlined captions at the top and bottom of a photo, as meme generators draw them. */
async function memeImage(random: Random): Promise<Rendered> {
  const width = int(random, 500, 700);
  const height = int(random, 450, 650);
  const caption = pick(random, meme).toUpperCase();
  const words = caption.split(' ');
  const cut = Math.ceil(words.length / 2);
  const lines = [words.slice(0, cut).join(' '), words.slice(cut).join(' ')].filter(Boolean);
  const size = Math.min(56, Math.floor((width * 1.6) / Math.max(...lines.map((l) => l.length))));
  const text = lines
    .map((line, i) =>
      svgText({
        text: line,
        x: width / 2,
        y: i === 0 ? size + 10 : height - 20,
        size,
        font: 'DejaVu Sans',
        weight: 'bold',
        fill: '#ffffff',
        stroke: '#000000',
        anchor: 'middle',
      }),
    )
    .join('');
  const bytes = await sharp(await photo(random, width, height))
    .composite([{ input: svg(width, height, text) }])
    .jpeg({ quality: 85 })
    .toBuffer();
  return { bytes, lines, words: [], format: 'jpg' };
}

/** A sign or note in a photo: tilted, a little blurred, grainy and JPEG-compressed like a phone picture. */
async function photographed(random: Random): Promise<Rendered> {
  const width = int(random, 640, 900);
  const height = int(random, 480, 700);
  const lines = [phrase(random, 2, 3), phrase(random, 2, 3)];
  if (random() < 0.5) lines.push(pick(random, technical));
  const size = int(random, 26, 36);
  const signWidth = Math.round(Math.max(...lines.map((l) => l.length)) * size * 0.62 + 60);
  const signHeight = Math.round(lines.length * size * 1.5 + 40);
  const [paper, ink] = pick(random, [
    ['#f5f1e6', '#1a1a1a'],
    ['#1f5f2f', '#ffffff'],
    ['#ffd54a', '#111111'],
  ] as const);
  const angle = between(random, -8, 8);
  const sign = svg(
    signWidth,
    signHeight,
    lines
      .map((text, i) =>
        svgText({
          text,
          x: 30,
          y: 20 + size * 1.5 * (i + 0.8),
          size,
          font: pick(random, sans),
          fill: ink,
          weight: 'bold',
        }),
      )
      .join(''),
    paper,
  );
  const tilted = await sharp(sign).rotate(angle, { background: '#00000000' }).png().toBuffer();
  const tiltedMeta = await sharp(tilted).metadata();
  const scale = Math.min(
    1,
    (width * 0.9) / (tiltedMeta.width ?? 1),
    (height * 0.9) / (tiltedMeta.height ?? 1),
  );
  const placed = await sharp(tilted)
    .resize(Math.round((tiltedMeta.width ?? 1) * scale))
    .png()
    .toBuffer();
  const placedMeta = await sharp(placed).metadata();
  const bytes = await sharp(await photo(random, width, height))
    .composite([
      {
        input: placed,
        left: int(random, 0, width - (placedMeta.width ?? 0)),
        top: int(random, 0, height - (placedMeta.height ?? 0)),
      },
      { input: await noise(random, width, height, 40), blend: 'overlay' },
    ])
    .blur(between(random, 0.4, 1))
    .jpeg({ quality: int(random, 55, 80) })
    .toBuffer();
  return { bytes, lines, words: [], format: 'jpg' };
}

/** Grey noise, blurred into a texture. */
async function noise(random: Random, width: number, height: number, amount: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const v = 128 + Math.round((random() - 0.5) * 2 * amount);
    data[i * 3] = v;
    data[i * 3 + 1] = v;
    data[i * 3 + 2] = v;
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Text over a coloured noise texture (fabric, concrete, paper grain). */
async function textured(random: Random): Promise<Rendered> {
  const width = int(random, 600, 900);
  const height = int(random, 400, 600);
  const lines = [phrase(random, 2, 4), phrase(random, 2, 4), phrase(random, 2, 4)];
  const size = int(random, 24, 34);
  const light = random() < 0.5;
  const texture = await sharp(await noise(random, width, height, 90))
    .blur(between(random, 0.8, 2.5))
    .tint(light ? '#d8c8a8' : '#40506a')
    .png()
    .toBuffer();
  const text = lines
    .map((line, i) =>
      svgText({
        text: line,
        x: 40,
        y: 90 + i * size * 1.8,
        size,
        font: pick(random, sans),
        fill: light ? '#202020' : '#f8f8f8',
        weight: 'bold',
      }),
    )
    .join('');
  const bytes = await sharp(texture)
    .composite([{ input: svg(width, height, text) }])
    .jpeg({ quality: 85 })
    .toBuffer();
  return { bytes, lines, words: [], format: 'jpg' };
}

/** Lines written at an angle: tilted, a quarter turn, or upside down. */
async function rotated(random: Random): Promise<Rendered> {
  const width = 700;
  const height = 360;
  const lines = [pick(random, technical), phrase(random, 2, 4)];
  const size = int(random, 22, 30);
  const text = lines
    .map((line, i) =>
      svgText({
        text: line,
        x: 40,
        y: 120 + i * size * 1.8,
        size,
        font: pick(random, sans),
        fill: '#111111',
      }),
    )
    .join('');
  const angle = pick(random, [between(random, -35, -10), between(random, 10, 35), 90, -90, 180]);
  const bytes = await sharp(svg(width, height, text, '#fafafa'))
    .rotate(angle, { background: '#fafafa' })
    .png()
    .toBuffer();
  return { bytes, lines, words: [], format: 'png' };
}

function chineseImage(random: Random): Rendered {
  const width = 720;
  const lineWords = Array.from({ length: int(random, 2, 4) }, () =>
    Array.from({ length: int(random, 2, 4) }, () => pick(random, chinese)),
  );
  const size = int(random, 24, 34);
  const height = 80 + lineWords.length * size * 2;
  const lines = lineWords.map((words) => words.join(''));
  const body = lines
    .map((text, i) => svgText({ text, x: 40, y: 70 + i * size * 2, size, font: cjk, fill: '#202020' }))
    .join('');
  return { bytes: svg(width, height, body, '#ffffff'), lines, words: lineWords.flat(), format: 'png' };
}

/** Photos without text: what most collections hold, and what OCR must not slow down. */
async function noText(random: Random): Promise<Rendered> {
  const bytes = await sharp(await photo(random, int(random, 640, 1024), int(random, 480, 768)))
    .jpeg({ quality: 88 })
    .toBuffer();
  return { bytes, lines: [], words: [], format: 'jpg' };
}

export async function render(kind: Kind, random: Random): Promise<Rendered> {
  switch (kind) {
    case 'screenshot':
      return screenshot(random, false);
    case 'small':
      return screenshot(random, true);
    case 'slide':
      return slide(random);
    case 'meme':
      return memeImage(random);
    case 'photographed':
      return photographed(random);
    case 'textured':
      return textured(random);
    case 'rotated':
      return rotated(random);
    case 'chinese':
      return chineseImage(random);
    case 'no-text':
      return noText(random);
  }
}
