// Temporary folders of images for the indexer tests, built from the committed fixtures (test/fixtures).
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures');

interface ManifestFile {
  file: string;
  expect: 'ok' | 'error';
}
const manifest = JSON.parse(readFileSync(path.join(fixtures, 'manifest.json'), 'utf8')) as {
  files: ManifestFile[];
};

/** What each bad fixture must be reported with (the reason, loosely). */
export const badReasons: Record<string, RegExp> = {
  'corrupt.jpg': /decod|corrupt/i,
  'truncated.jpg': /decod|premature|truncat/i,
  'empty.jpg': /empty/i,
  'not-an-image.jpg': /not an image/i,
  'vector.svg': /SVG/,
  'bomb-30000x30000.png': /pixels/i,
};

export interface FixtureTree {
  /** The folder to index. */
  root: string;
  /** Beside the root (the target of links leading out of it). */
  outside: string;
  /** Every decodable file's key (relative path), duplicates and the in-folder link included. */
  goodKeys: string[];
  /** Bad files' keys, with the fixture name each was copied from. */
  badKeys: Map<string, string>;
  /** Keys reported as skipped: a non-image with a non-image name, links leading out of the folder. */
  skippedKeys: string[];
  /** Pairs of keys with the same bytes. */
  duplicates: [string, string][];
  remove(): Promise<void>;
}

/**
 * The fixture tree: good images (nested two levels), every bad kind, a hidden file and folder, a sidecar
 * text file, a symlink to a file and one to a folder outside the root, a symlink inside the root, and a copy.
 */
export async function fixtureTree(): Promise<FixtureTree> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lookalike-indexer-'));
  const root = path.join(dir, 'photos');
  const outside = path.join(dir, 'outside');
  await mkdir(outside, { recursive: true });
  const goodKeys: string[] = [];
  const badKeys = new Map<string, string>();
  const put = async (from: string, key: string) => {
    await mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await copyFile(path.join(fixtures, from), path.join(root, key));
  };
  for (const { file, expect } of manifest.files) {
    const name = path.basename(file);
    if (expect === 'error') {
      const key = `bad/${name}`;
      await put(file, key);
      badKeys.set(key, name);
    } else {
      const key = file.startsWith('derived/') ? `albums/2024/${name}` : `albums/${name}`;
      await put(file, key);
      goodKeys.push(key);
    }
  }
  await put('images/photo-cat.jpg', 'copies/cat.jpg');
  goodKeys.push('copies/cat.jpg');
  await symlink(path.join(root, 'albums/photo-flower.jpg'), path.join(root, 'flower-link.jpg'));
  goodKeys.push('flower-link.jpg');
  await put('images/photo-coffee.jpg', '.hidden/coffee.jpg');
  await put('images/photo-china.jpg', 'albums/.china-hidden.jpg');
  await writeFile(path.join(root, 'albums/notes.txt'), 'taken on holiday\n');
  await copyFile(path.join(fixtures, 'images/photo-cat.jpg'), path.join(outside, 'secret.jpg'));
  await symlink(path.join(outside, 'secret.jpg'), path.join(root, 'escape.jpg'));
  await symlink(outside, path.join(root, 'escape-dir'));
  return {
    root,
    outside,
    goodKeys,
    badKeys,
    skippedKeys: ['albums/notes.txt', 'escape-dir', 'escape.jpg'],
    duplicates: [
      ['albums/photo-cat.jpg', 'copies/cat.jpg'],
      ['albums/photo-flower.jpg', 'flower-link.jpg'],
    ],
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A JPEG unlike any fixture (a fixture photo flipped, tinted and resized by `variant`). */
export async function variantJpeg(variant: number, base = 'photo-china.jpg'): Promise<Buffer> {
  return sharp(path.join(fixtures, 'images', base))
    .flip(variant % 2 === 1)
    .resize(200 + (variant % 97), 150 + (variant % 53), { fit: 'fill' })
    .tint({ r: (variant * 37) % 256, g: (variant * 91) % 256, b: (variant * 13) % 256 })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** A folder of `count` distinct small JPEGs in a few subfolders, plus `duplicates` copies of some of them. */
export async function generatedFolder(
  count: number,
  duplicates = 0,
): Promise<{ root: string; keys: string[]; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lookalike-generated-'));
  const root = path.join(dir, 'photos');
  const keys: string[] = [];
  const bases = ['photo-china.jpg', 'photo-flower.jpg', 'photo-cat.jpg', 'photo-coffee.jpg'];
  for (let i = 0; i < count; i++) {
    const key = `set-${i % 5}/image-${String(i).padStart(4, '0')}.jpg`;
    await mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await writeFile(path.join(root, key), await variantJpeg(i, bases[i % bases.length]));
    keys.push(key);
  }
  for (let i = 0; i < duplicates; i++) {
    const key = `copies/copy-${i}.jpg`;
    await mkdir(path.join(root, 'copies'), { recursive: true });
    await copyFile(path.join(root, keys[(i * 7) % count] as string), path.join(root, key));
    keys.push(key);
  }
  return { root, keys, remove: () => rm(dir, { recursive: true, force: true }) };
}
