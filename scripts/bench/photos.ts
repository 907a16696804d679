// The benchmark photos: photo-like JPEGs (640x480 .. 2000x1500) made from the fixture photos, or a folder's.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { seeded } from './vectors.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Photo-like JPEGs: crops of the fixture photos, resized, recoloured and re-encoded at camera-like sizes. */
export async function makeImages(dir: string, n: number): Promise<string[]> {
  const random = seeded(42);
  const sources = ['photo-china.jpg', 'photo-flower.jpg', 'photo-cat.jpg', 'photo-coffee.jpg'].map((f) =>
    path.join(root, 'test/fixtures/images', f),
  );
  const aspects = [4 / 3, 3 / 2, 3 / 4, 16 / 9, 1];
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const source = sources[i % sources.length] as string;
    const meta = await sharp(source).metadata();
    const [sw, sh] = [meta.width as number, meta.height as number];
    const cropW = Math.round(sw * (0.6 + 0.4 * random()));
    const cropH = Math.round(sh * (0.6 + 0.4 * random()));
    const left = Math.floor(random() * (sw - cropW));
    const top = Math.floor(random() * (sh - cropH));
    const long = 640 + random() * 1360;
    const aspect = aspects[Math.floor(random() * aspects.length)] as number;
    const [w, h] = aspect >= 1 ? [long, long / aspect] : [long * aspect, long];
    const grow = Math.max(1, 480 / Math.min(w, h)); // no side under 480
    const file = path.join(dir, `photo-${String(i).padStart(4, '0')}.jpg`);
    await sharp(source)
      .extract({ left, top, width: cropW, height: cropH })
      .resize(Math.round(w * grow), Math.round(h * grow), { fit: 'fill', kernel: 'lanczos3' })
      .modulate({
        brightness: 0.8 + 0.4 * random(),
        saturation: 0.7 + 0.6 * random(),
        hue: Math.floor(random() * 40) - 20,
      })
      .sharpen({ sigma: 0.5 + random() })
      .jpeg({ quality: 80 + Math.floor(random() * 16) })
      .toFile(file);
    files.push(file);
  }
  return files;
}

export async function listImages(dir: string, n: number): Promise<string[]> {
  const names = (await readdir(dir)).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
  if (names.length === 0) throw new Error(`${dir}: no JPEG, PNG or WebP files`);
  return Array.from({ length: Math.min(n, names.length) }, (_, i) => path.join(dir, names[i] as string));
}
