import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saveSheet } from '../../adapters/console/sheets.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lookalike-sheets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('contact sheets saved by the console', () => {
  it('saves a sheet under a time-stamped name made from the title', async () => {
    const file = await saveSheet(Buffer.from('jpeg'), 'Snowy mountain “peaks”!', path.join(dir, 'sheets'));
    expect(path.dirname(file)).toBe(path.join(dir, 'sheets'));
    expect(path.basename(file)).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-snowy-mountain-peaks\.jpg$/);
    expect(await readFile(file, 'utf8')).toBe('jpeg');
  });

  it('keeps only the newest sheets, removing the oldest first and nothing else in the folder', async () => {
    const old = [
      '2024-01-01T00-00-00-000Z-first.jpg',
      '2024-01-02T00-00-00-000Z-second.jpg',
      '2024-01-03T00-00-00-000Z-third.jpg',
      '2024-01-04T00-00-00-000Z-fourth.jpg',
    ];
    for (const name of [...old, 'notes.txt', 'my-picture.jpg']) await writeFile(path.join(dir, name), 'x');
    const newest = await saveSheet(Buffer.from('jpeg'), 'cats', dir, 3);
    expect((await readdir(dir)).sort()).toEqual(
      [old[2], old[3], path.basename(newest), 'my-picture.jpg', 'notes.txt'].sort(),
    );
    const again = await saveSheet(Buffer.from('jpeg'), 'dogs', dir, 3);
    expect((await readdir(dir)).filter((n) => n.startsWith('20')).sort()).toEqual(
      [old[3], path.basename(newest), path.basename(again)].sort(),
    );
  });
});
