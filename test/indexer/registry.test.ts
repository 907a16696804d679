// The source registry: what `lookalike index` records for /reindex and /status, on disk.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IndexReport } from '../../src/indexer/types.js';
import {
  describeSource,
  registrySettings,
  SourceRegistry,
  type SourceDescriptor,
} from '../../src/indexer/source-registry.js';
import { tempDir, testConfig } from '../helpers/bot.js';

const report = (source: string, tenant: string, failed = 0): IndexReport => ({
  jobId: `job-${source}`,
  source,
  tenant,
  new: 3,
  updated: 1,
  unchanged: 10,
  deleted: 2,
  failed: Array.from({ length: failed }, (_, i) => ({ input: `bad-${i}.jpg`, reason: 'cannot be decoded' })),
  skipped: [{ input: 'notes.txt', reason: 'not an image' }],
  dryRun: false,
  full: false,
  startedAt: '2026-11-29T00:00:00.000Z',
  durationMs: 1234,
});

describe('source registry', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let registry: SourceRegistry;
  let photos: SourceDescriptor;
  let urls: SourceDescriptor;

  beforeEach(async () => {
    data = await tempDir();
    registry = new SourceRegistry(registrySettings(testConfig(data.dir)));
    await mkdir(path.join(data.dir, 'photos'));
    await writeFile(path.join(data.dir, 'urls.txt'), 'https://example.com/a.jpg\n');
    photos = await describeSource(path.join(data.dir, 'photos'), { tenant: '*', exclude: ['raw/**'] });
    urls = await describeSource(path.join(data.dir, 'urls.txt'), { tenant: 'guild-1' });
  });
  afterEach(async () => data?.remove());

  it('describes a folder and a URL list by kind, with absolute paths and their ids', () => {
    expect(photos).toEqual({
      id: `folder:${path.join(data.dir, 'photos')}`,
      kind: 'folder',
      path: path.join(data.dir, 'photos'),
      tenant: '*',
      exclude: ['raw/**'],
    });
    expect(urls).toMatchObject({
      id: `urls:${path.join(data.dir, 'urls.txt')}`,
      kind: 'urls',
      tenant: 'guild-1',
    });
  });

  it('refuses a missing path, and globs for a URL list', async () => {
    await expect(describeSource(path.join(data.dir, 'nope'), { tenant: '*' })).rejects.toThrow(
      /does not exist/,
    );
    await expect(
      describeSource(path.join(data.dir, 'urls.txt'), { tenant: '*', include: ['*.jpg'] }),
    ).rejects.toThrow(/folders only/);
  });

  it('records runs: the list per tenant, the last run summary, the full last report', async () => {
    expect(await registry.list()).toEqual([]);
    await registry.record(photos, { report: report(photos.id, '*', 12) });
    await registry.record(urls, { report: report(urls.id, 'guild-1') });

    expect((await registry.list()).map((e) => e.id).sort()).toEqual([photos.id, urls.id].sort());
    expect((await registry.list('guild-1')).map((e) => e.id)).toEqual([urls.id]);
    const entry = await registry.get(photos.id);
    expect(entry).toMatchObject({
      ...photos,
      lastRun: { new: 3, updated: 1, unchanged: 10, deleted: 2, failed: 12, skipped: 1 },
    });
    expect(entry?.lastRun?.failures).toHaveLength(10);
    expect(entry?.lastRunAt).toBe(entry?.lastRun?.at);
    expect(await registry.report(photos.id)).toEqual(report(photos.id, '*', 12));
    expect(await registry.lastReport('guild-1')).toEqual(report(urls.id, 'guild-1'));
    expect(await registry.lastReport('guild-2')).toBeUndefined();

    const file = JSON.parse(await readFile(registry.file, 'utf8'));
    expect(file.version).toBe(1);
    expect(await readdir(path.join(data.dir, 'reports'))).toHaveLength(2);
  });

  it('records a run that stopped with its error, keeping the last full report', async () => {
    await registry.record(photos, { report: report(photos.id, '*') });
    await registry.record(photos, { error: 'cannot reach Elasticsearch at http://127.0.0.1:9200' });
    const entry = await registry.get(photos.id);
    expect(entry?.lastRun).toMatchObject({
      error: 'cannot reach Elasticsearch at http://127.0.0.1:9200',
      failed: 0,
    });
    expect(await registry.report(photos.id)).toEqual(report(photos.id, '*'));
  });

  it('loses no entry when many runs record at once, and leaves no temporary file behind', async () => {
    const folders = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        await mkdir(path.join(data.dir, `folder-${i}`));
        return describeSource(path.join(data.dir, `folder-${i}`), { tenant: `guild-${i % 3}` });
      }),
    );
    // Separate registries, as separate processes would have.
    await Promise.all(
      folders.map((f) =>
        new SourceRegistry(registrySettings(testConfig(data.dir))).record(f, {
          report: report(f.id, f.tenant),
        }),
      ),
    );
    expect((await registry.list()).map((e) => e.id).sort()).toEqual(folders.map((f) => f.id).sort());
    expect(
      (await readdir(data.dir)).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock')),
    ).toEqual([]);
  });

  it('opens a recorded source again, with its globs', async () => {
    await writeFile(path.join(data.dir, 'photos', 'a.jpg'), 'x');
    await mkdir(path.join(data.dir, 'photos', 'raw'));
    await writeFile(path.join(data.dir, 'photos', 'raw', 'b.jpg'), 'x');
    await registry.record(photos, { report: report(photos.id, '*') });
    const source = await registry.open((await registry.get(photos.id)) as SourceDescriptor);
    const keys: string[] = [];
    for await (const item of source.items()) keys.push(item.key);
    expect(source.id).toBe(photos.id);
    expect(keys).toEqual(['a.jpg']);
    const list = await registry.open(urls);
    expect(list.id).toBe(urls.id);
  });

  it('names the file when the list on disk is damaged', async () => {
    await writeFile(registry.file, '{"version": 1, "sources": [{"id": 3}]');
    await expect(registry.list()).rejects.toThrow(`${registry.file} is not a valid source list`);
  });
});
