// `lookalike index <folder> --switch-model` as a user runs it: child processes, the embedded store, two models.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoFolder, tempDir } from '../helpers/bot.js';
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
    expect(JSON.parse(found.stdout).hits).toHaveLength(5);
    const old = await runCli(['find', 'a photo of a cat'], oldModel);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toMatch(/holds vectors of model "clip@fp32"/);
    // Incremental runs with the new model work as before.
    const again = await runCli(['index', more.dir], newModel);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 new, 0 updated, 4 unchanged');
  });
});
