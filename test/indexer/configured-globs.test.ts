import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { withConfiguredGlobs } from '../../src/indexer/configured-globs.js';
import type { SourceDescriptor } from '../../src/indexer/source-registry.js';

const folder: SourceDescriptor = { id: 'folder:/p', kind: 'folder', path: '/p', tenant: '*' };
const globs = parseConfig({ LOOKALIKE_INCLUDE: 'albums/**, *.png', LOOKALIKE_EXCLUDE: '**/raw/**' });

describe('configured include / exclude globs', () => {
  it('gives a folder without globs the configured ones', () => {
    expect(withConfiguredGlobs(folder, globs)).toEqual({
      ...folder,
      include: ['albums/**', '*.png'],
      exclude: ['**/raw/**'],
    });
  });

  it("keeps a folder's own globs, leaves out defaults that select everything, and leaves URL lists alone", () => {
    const own = { ...folder, include: ['*.jpg'], exclude: ['tmp/**'] };
    expect(withConfiguredGlobs(own, globs)).toEqual(own);
    expect(withConfiguredGlobs(folder, parseConfig({}))).toEqual(folder);
    const urls: SourceDescriptor = { id: 'urls:/u.txt', kind: 'urls', path: '/u.txt', tenant: '*' };
    expect(withConfiguredGlobs(urls, globs)).toEqual(urls);
  });
});
