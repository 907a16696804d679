// The folder source on its own: what it lists, what it refuses to follow, and how it reads.
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SkippedInput } from '../../src/sources/image-type.js';
import { folderSourceId, openFolderSource } from '../../src/sources/folder.js';
import type { SourceItem } from '../../src/sources/types.js';
import { InputError } from '../../src/util/errors.js';
import { fixtureTree, type FixtureTree } from './helpers/tree.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/images');

async function list(
  root: string,
  options: { include?: string[]; exclude?: string[]; maxBytes?: number } = {},
) {
  const source = await openFolderSource({ root, tenant: 'guild-1', maxBytes: 50_000_000, ...options });
  const items: SourceItem[] = [];
  for await (const item of source.items()) items.push(item);
  return { source, items, keys: items.map((i) => i.key).sort() };
}

describe('folder source', () => {
  let tree: FixtureTree;
  beforeEach(async () => {
    tree = await fixtureTree();
  });
  afterEach(async () => tree?.remove());

  it('lists every file under the root by its relative path, hidden ones and links out of it aside', async () => {
    const { source, items, keys } = await list(tree.root);
    expect(source.id).toBe(folderSourceId(tree.root));
    expect(source.id).toBe(`folder:${tree.root}`);
    expect(keys).toEqual([...tree.goodKeys, ...tree.badKeys.keys(), ...tree.skippedKeys].sort());
    const cat = items.find((i) => i.key === 'albums/photo-cat.jpg') as SourceItem;
    expect(cat).toMatchObject({
      tenant: 'guild-1',
      name: 'photo-cat.jpg',
      relativePath: 'albums/photo-cat.jpg',
      size: 35042,
    });
    expect((await cat.bytes()).length).toBe(35042);
    const link = items.find((i) => i.key === 'flower-link.jpg') as SourceItem;
    expect((await link.bytes()).length).toBe(142987);
  });

  it('reports links out of the folder and non-images as skipped, image-named non-images as failed', async () => {
    const { items } = await list(tree.root);
    const outcome = async (key: string) =>
      (items.find((i) => i.key === key) as SourceItem).bytes().then(
        () => 'read',
        (error: unknown) => error,
      );
    const escape = await outcome('escape.jpg');
    expect(escape).toBeInstanceOf(SkippedInput);
    expect((escape as SkippedInput).reason).toMatch(/leading out of the folder/);
    expect(await outcome('escape-dir')).toBeInstanceOf(SkippedInput);
    const notes = await outcome('albums/notes.txt');
    expect(notes).toBeInstanceOf(SkippedInput);
    expect((notes as SkippedInput).reason).toMatch(/not an image/);
    const text = await outcome('bad/not-an-image.jpg');
    expect(text).toBeInstanceOf(InputError);
    expect(text).not.toBeInstanceOf(SkippedInput);
    expect(((await outcome('bad/vector.svg')) as InputError).reason).toMatch(/SVG/);
    expect(((await outcome('bad/empty.jpg')) as InputError).reason).toMatch(/empty/);
  });

  it('judges by content: an image without an image name is read', async () => {
    await copyFile(
      path.join(fixtures, 'photo-coffee.webp'),
      path.join(tree.root, 'albums/coffee-without-extension'),
    );
    const { items } = await list(tree.root);
    const item = items.find((i) => i.key === 'albums/coffee-without-extension') as SourceItem;
    expect((await item.bytes()).length).toBe(36362);
  });

  it('applies include and exclude globs relative to the root (a glob without / matches names anywhere)', async () => {
    expect((await list(tree.root, { include: ['albums/2024/**'] })).keys).toEqual([
      'albums/2024/photo-cat-half.jpg',
      'albums/2024/photo-china-half.jpg',
      'albums/2024/photo-china-rotated-90.jpg',
    ]);
    const pngs = (await list(tree.root, { include: ['*.png'] })).keys;
    expect(pngs).toEqual([
      'albums/grayscale-16bit.png',
      'albums/rgba-transparent.png',
      'albums/tiny-8x8.png',
      'bad/bomb-30000x30000.png',
      'escape-dir', // could hold PNGs: reported as a link not followed
    ]);
    const noBad = (await list(tree.root, { exclude: ['bad', 'albums/2024/**', '*.txt'] })).keys;
    expect(
      noBad.some((k) => k.startsWith('bad/') || k.startsWith('albums/2024/') || k.endsWith('.txt')),
    ).toBe(false);
    expect(noBad).toContain('albums/photo-cat.jpg');
  });

  it('refuses files over the size limit before reading them whole', async () => {
    const { items } = await list(tree.root, { maxBytes: 100_000 });
    const china = items.find((i) => i.key === 'albums/photo-china.jpg') as SourceItem;
    const error = await china.bytes().catch((e: unknown) => e);
    expect((error as InputError).reason).toMatch(
      /196653 bytes, more than LOOKALIKE_MAX_IMAGE_BYTES \(100000\)/,
    );
  });

  it('follows a link to another folder inside the root, never one round a loop', async () => {
    await symlink(path.join(tree.root, 'albums'), path.join(tree.root, 'albums/2024/back-up'));
    await mkdir(path.join(tree.root, 'more'));
    await symlink(path.join(tree.root, 'albums/2024'), path.join(tree.root, 'more/recent'));
    const { keys, items } = await list(tree.root);
    expect(keys).toContain('more/recent/photo-cat-half.jpg');
    expect(keys.filter((k) => k.startsWith('albums/2024/back-up'))).toEqual(['albums/2024/back-up']);
    const loop = await (items.find((i) => i.key === 'albums/2024/back-up') as SourceItem)
      .bytes()
      .catch((e) => e);
    expect((loop as SkippedInput).reason).toMatch(/a loop/);
  });

  it('fails clearly when the root is missing or not a folder', async () => {
    await expect(list(path.join(tree.root, 'nope'))).rejects.toThrow(/cannot be opened as a folder: ENOENT/);
    await writeFile(path.join(tree.root, 'file'), 'x');
    await expect(list(path.join(tree.root, 'file'))).rejects.toThrow(/is not a folder/);
  });
});
