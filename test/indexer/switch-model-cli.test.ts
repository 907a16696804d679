// `lookalike index <folder> --switch-model` as a user runs it: child processes, the embedded store, two models.
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoFolder, tempDir, tinyModelDir } from '../helpers/bot.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

const openClipDir = path.resolve(import.meta.dirname, '../fixtures/open-clip/clip');

describe('lookalike index --switch-model', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let photos: Awaited<ReturnType<typeof photoFolder>>;
  let more: Awaited<ReturnType<typeof photoFolder>>;
  let oldModel: NodeJS.ProcessEnv;
  let newModel: NodeJS.ProcessEnv;

  beforeAll(async () => {
    data = await tempDir();
    photos = await photoFolder();
    more = await photoFolder();
    oldModel = isolatedEnv(data.dir);
    newModel = isolatedEnv(data.dir, { LOOKALIKE_MODEL_DIR: openClipDir });
    for (const folder of [photos, more]) {
      expect((await runCli(['index', folder.dir, '--batch', '4'], oldModel)).code).toBe(0);
    }
  });
  afterAll(async () => {
    await photos?.remove();
    await more?.remove();
    await data?.remove();
  });

  it('a run with another model refuses and points at the switch; the switch rebuilds every registered folder', async () => {
    const refused = await runCli(['index', photos.dir], newModel);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/holds vectors of model "tiny-clip@fp32".*"clip@fp32".*--switch-model/s);

    const bad = await runCli(['index', photos.dir, '--switch-model', '--dry-run'], newModel);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--switch-model.*not with --shard or --dry-run/);

    const switched = await runCli(['index', photos.dir, '--switch-model', '--batch', '4'], newModel);
    expect(switched.stderr).toContain('from model tiny-clip@fp32 to clip@fp32: 2 sources to index again');
    expect(switched.code).toBe(0);
    expect(switched.stderr).toContain('now holds model clip@fp32 only');
    for (const folder of [photos, more])
      expect(switched.stdout).toContain(`${folder.dir} (shared with every tenant)`);
    expect(switched.stdout.match(/4 new, 0 updated, 0 unchanged, 0 deleted, 0 failed/g)).toHaveLength(2);

    const found = await runCli(['find', 'a photo of a cat', '--json'], newModel);
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout).hits.length).toBeGreaterThan(0);
    const old = await runCli(['find', 'a photo of a cat'], oldModel);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toMatch(/holds vectors of model "clip@fp32"/);
    // Incremental runs with the new model work as before.
    const again = await runCli(['index', more.dir], newModel);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 new, 0 updated, 4 unchanged');
  });

  it('a bot started with the new model serves the old one from the model cache until /reindex full switches', async () => {
    const own = await tempDir();
    try {
      const before = isolatedEnv(own.dir);
      expect((await runCli(['index', photos.dir, '--batch', '4'], before)).code).toBe(0);
      // The index's model where `lookalike models fetch` would have put it.
      await mkdir(path.join(own.dir, 'cache', 'models'), { recursive: true });
      await symlink(tinyModelDir, path.join(own.dir, 'cache', 'models', 'tiny-clip'));
      const lines = [
        '/status',
        '/find a photo of a cat',
        '/reindex full',
        '/find a photo of a cat',
        '/status',
      ];
      const run = await runCli(
        ['start'],
        isolatedEnv(own.dir, { LOOKALIKE_MODEL_DIR: openClipDir }),
        `${lines.join('\n')}\n`,
      );
      expect(run.code).toBe(0);
      const out = run.stdout;
      const switched = out.indexOf('Started switching the index from model tiny-clip@fp32 to clip@fp32');
      expect(switched).toBeGreaterThan(0);
      expect(out.slice(0, switched)).toContain('Model: tiny-clip@fp32 (512 dimensions)');
      expect(out.slice(0, switched)).toContain('Configured model: clip@fp32');
      expect(out.slice(switched)).toContain(
        'Indexed model switch to clip@fp32 (full rebuild): 4 new, 0 updated, 0 unchanged, 0 deleted, 0 failed',
      );
      expect(out.slice(switched)).toContain('Model: clip@fp32 (128 dimensions)');
      expect(out.match(/Results 1-4 for “a photo of a cat”/g)).toHaveLength(2);
      expect(run.stderr).not.toMatch(/error/i);
    } finally {
      await own.remove();
    }
  });
});
