// Model downloads against a local hub (node:http on 127.0.0.1) serving the fixture folders.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureModels } from '../../src/cli/models.js';
import { parseConfig } from '../../src/config/load.js';
import { catalogModel, clipFiles } from '../../src/model/catalog.js';
import { fetchHubFiles } from '../../src/model/hub.js';
import { openEmbedder } from '../../src/model/index.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { clipDir, fixtures, openClipDir, tempFolder } from './helpers/fixtures.js';
import { startHubServer, type HubServer, type HubServerOptions } from './helpers/hub-server.js';

const repo = 'owner/tiny-clip';
const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
const quantizedFiles = clipFiles(['quantized']);
const openAiRepo = catalogModel('openai-vit-b32').repo;
const laionRepo = catalogModel('laion2b-vit-b32').repo;

let temp: Awaited<ReturnType<typeof tempFolder>>;
let hub: HubServer | undefined;
beforeEach(async () => {
  temp = await tempFolder('lookalike-hub-');
});
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await temp.remove();
});

async function serve(options: Partial<HubServerOptions> = {}) {
  hub = await startHubServer({
    repos: { [repo]: clipDir, [openAiRepo]: clipDir, [laionRepo]: openClipDir },
    ...options,
  });
  return hub;
}

const fetchInto = (server: HubServer, dest: string, files = quantizedFiles) =>
  fetchHubFiles({ hubUrl: server.url, repo, files, dest, retries: 2 });

async function expectSameAsFixture(dest: string, file: string, source = clipDir) {
  expect(await sha256(path.join(dest, file)), file).toBe(await sha256(path.join(source, file)));
}

describe('fetchHubFiles', () => {
  it('downloads every file, checks it and skips optional files the hub lacks', async () => {
    const server = await serve();
    const dest = path.join(temp.dir, 'model');
    const files = [...quantizedFiles, { path: 'not-there.json', optional: true }];
    const fetched = await fetchInto(server, dest, files);
    expect(fetched).toEqual(quantizedFiles.map((f) => f.path));
    for (const file of fetched) await expectSameAsFixture(dest, file);
    expect(existsSync(path.join(dest, 'onnx/vision_model_quantized.onnx.part'))).toBe(false);

    server.requests.length = 0;
    expect(await fetchInto(server, dest, files)).toEqual([]); // present files are kept
    expect(server.requests.map((r) => r.path)).toEqual([`/${repo}/resolve/main/not-there.json`]);
  });

  it('resumes a transfer that broke off with a Range request', async () => {
    const file = 'onnx/vision_model_quantized.onnx';
    const server = await serve({ dropOnce: new Set([file]) });
    const dest = path.join(temp.dir, 'model');
    await fetchInto(server, dest, [{ path: file }]);
    await expectSameAsFixture(dest, file);
    const ranges = server.requests.filter((r) => r.path.endsWith(file)).map((r) => r.range);
    // Hub + CDN without a Range, then both again from what had reached the disk (at most the half that was sent).
    const half = Math.floor((await readFile(path.join(clipDir, file))).length / 2);
    expect(ranges.slice(0, 2)).toEqual([undefined, undefined]);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[2] ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(half);
    expect(ranges.slice(2)).toEqual([`bytes=${resumedAt}-`, `bytes=${resumedAt}-`]);
  });

  it('resumes the part file an earlier run left', async () => {
    const file = 'onnx/text_model_quantized.onnx';
    const server = await serve();
    const dest = path.join(temp.dir, 'model');
    await mkdir(path.join(dest, 'onnx'), { recursive: true });
    const source = await readFile(path.join(clipDir, file));
    await writeFile(path.join(dest, `${file}.part`), source.subarray(0, 1000));
    await fetchInto(server, dest, [{ path: file }]);
    await expectSameAsFixture(dest, file);
    expect(server.requests.filter((r) => r.path.startsWith('/cdn/')).map((r) => r.range)).toEqual([
      'bytes=1000-',
    ]);
  });

  it('starts over when the server ignores the Range', async () => {
    const file = 'onnx/text_model_quantized.onnx';
    const server = await serve({ ignoreRange: true });
    const dest = path.join(temp.dir, 'model');
    await mkdir(path.join(dest, 'onnx'), { recursive: true });
    await writeFile(path.join(dest, `${file}.part`), 'stale bytes from some other version');
    await fetchInto(server, dest, [{ path: file }]);
    await expectSameAsFixture(dest, file);
  });

  it('deletes a download whose sha256 is not the one the hub states, and says so', async () => {
    const file = 'onnx/vision_model_quantized.onnx';
    const server = await serve({ wrongChecksum: new Set([file]) });
    const dest = path.join(temp.dir, 'model');
    await expect(fetchInto(server, dest, [{ path: file }])).rejects.toThrow(
      new RegExp(
        `${file}: sha256 mismatch \\(expected [0-9a-f]{64}, got [0-9a-f]{64}\\); the download was deleted`,
      ),
    );
    expect(existsSync(path.join(dest, file))).toBe(false);
    expect(existsSync(path.join(dest, `${file}.part`))).toBe(false);
  });

  it('checks small files against their git blob sha1, and a manifest sha256 over the hub', async () => {
    const server = await serve({ wrongChecksum: new Set(['config.json']) });
    const dest = path.join(temp.dir, 'model');
    await expect(fetchInto(server, dest, [{ path: 'config.json' }])).rejects.toThrow(
      /config.json: git sha1 mismatch/,
    );
    const good = await sha256(path.join(clipDir, 'config.json'));
    await fetchInto(server, dest, [{ path: 'config.json', sha256: good }]);
    await expectSameAsFixture(dest, 'config.json');
    await expect(
      fetchInto(server, dest, [{ path: 'tokenizer.json', sha256: 'ab'.repeat(32) }]),
    ).rejects.toThrow(/tokenizer.json: sha256 mismatch \(expected (ab){32}/);
  });

  it('fails on a required file the hub does not have', async () => {
    const server = await serve();
    await expect(fetchInto(server, temp.dir, [{ path: 'onnx/nothing.onnx' }])).rejects.toThrow(
      /onnx\/nothing.onnx: HTTP 404/,
    );
  });
});

describe('ensureModels (first start)', () => {
  it.each([
    { model: undefined, precision: 'fp32', folder: 'ViT-B-32__laion2b_s34b_b79k', dims: 128 },
    { model: 'openai-vit-b32', precision: 'quantized', folder: 'clip-vit-base-patch32', dims: 512 },
  ])(
    'fetches LOOKALIKE_MODEL=$model ($precision) into the cache once, ready to open',
    async ({ model, precision, folder, dims }) => {
      const server = await serve();
      const config = parseConfig({
        LOOKALIKE_CACHE_DIR: temp.dir,
        LOOKALIKE_MODEL_HUB_URL: server.url,
        LOOKALIKE_PRECISION: precision,
        LOOKALIKE_THREADS: '1',
        ...(model && { LOOKALIKE_MODEL: model }),
      });
      await ensureModels(config);
      const dir = path.join(temp.dir, 'models', folder);
      expect(existsSync(`${dir}.partial`)).toBe(false);
      const embedder = await openEmbedder(config);
      try {
        expect(embedder.modelId).toBe(`${folder}@${precision}`);
        const [vector] = await embedder.embedImages([
          { name: 'cat', path: path.join(fixtures, 'images/photo-cat.jpg') },
        ]);
        expect(vector).toHaveLength(dims);
      } finally {
        await embedder.close();
      }
      server.requests.length = 0;
      await ensureModels(config);
      expect(server.requests).toEqual([]);
    },
  );

  it('leaves an unfinished download out of the model folder, then finishes it', async () => {
    const server = await serve({ wrongChecksum: new Set(['onnx/text_model.onnx']) });
    const config = parseConfig({
      LOOKALIKE_CACHE_DIR: temp.dir,
      LOOKALIKE_MODEL_HUB_URL: server.url,
      LOOKALIKE_MODEL: 'openai-vit-b32',
    });
    const dir = path.join(temp.dir, 'models', 'clip-vit-base-patch32');
    await expect(ensureModels(config)).rejects.toThrow(/text_model.onnx: sha256 mismatch/);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(path.join(`${dir}.partial`, 'onnx/vision_model.onnx'))).toBe(true);

    await server.close();
    const fixed = await serve();
    await ensureModels({ ...config, LOOKALIKE_MODEL_HUB_URL: fixed.url });
    expect(existsSync(path.join(dir, 'onnx/text_model.onnx'))).toBe(true);
    expect(fixed.requests.some((r) => r.path.endsWith('vision_model.onnx'))).toBe(false);
  });

  it('refuses int8 or fp16 for an open_clip-layout model before downloading anything', async () => {
    const server = await serve();
    const config = parseConfig({
      LOOKALIKE_CACHE_DIR: temp.dir,
      LOOKALIKE_MODEL_HUB_URL: server.url,
      LOOKALIKE_PRECISION: 'quantized',
    });
    await expect(ensureModels(config)).rejects.toThrow(
      /LOOKALIKE_MODEL=laion2b-vit-b32: open_clip-layout folders hold fp32 graphs only.*LOOKALIKE_MODEL=openai-vit-b32/,
    );
    expect(server.requests).toEqual([]);
  });

  it('never downloads into a configured LOOKALIKE_MODEL_DIR that is missing', async () => {
    const config = parseConfig({ LOOKALIKE_MODEL_DIR: path.join(temp.dir, 'mine') });
    await expect(ensureModels(config)).rejects.toThrow(
      `LOOKALIKE_MODEL_DIR=${path.join(temp.dir, 'mine')} does not exist`,
    );
  });
});

describe('lookalike models fetch', () => {
  it('downloads with a manifest of checksums, and refuses a wrong one', async () => {
    const server = await serve();
    const env = isolatedEnv(temp.dir, { LOOKALIKE_MODEL_HUB_URL: server.url, LOOKALIKE_MODEL_DIR: '' });
    const files = clipFiles(['fp16']).filter((f) => existsSync(path.join(clipDir, f.path)));
    const manifest = Object.fromEntries(
      await Promise.all(files.map(async (f) => [f.path, await sha256(path.join(clipDir, f.path))])),
    );
    await writeFile(path.join(temp.dir, 'good.json'), JSON.stringify(manifest));
    await writeFile(
      path.join(temp.dir, 'bad.json'),
      JSON.stringify({ ...manifest, 'onnx/vision_model_fp16.onnx': '0'.repeat(64) }),
    );

    const bad = await runCli(
      [
        'models',
        'fetch',
        'openai-vit-b32',
        '--precision',
        'fp16',
        '--manifest',
        path.join(temp.dir, 'bad.json'),
      ],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/vision_model_fp16.onnx: sha256 mismatch \(expected 0{64}/);

    const good = await runCli(
      [
        'models',
        'fetch',
        'openai-vit-b32',
        '--precision',
        'fp16',
        '--manifest',
        path.join(temp.dir, 'good.json'),
      ],
      env,
    );
    expect(good.code, good.stderr).toBe(0);
    expect(good.stderr).toMatch(/downloading onnx\/vision_model_fp16.onnx/);
    const dir = path.join(temp.dir, 'cache', 'models', 'clip-vit-base-patch32');
    expect(good.stdout).toContain(`model ready: ${dir} (set LOOKALIKE_MODEL=openai-vit-b32 to use it)`);
    for (const f of files) await expectSameAsFixture(dir, f.path);
  });
});

describe('lookalike models list / fetch <name>', () => {
  const siglipRepo = 'immich-app/ViT-B-16-SigLIP2__webli';
  const siglipFixture = path.join(fixtures, 'open-clip', 'siglip2');

  it('fetches a catalog model in the open_clip layout, lists it installed, and LOOKALIKE_MODEL opens it', async () => {
    hub = await startHubServer({ repos: { [siglipRepo]: siglipFixture } });
    const env = isolatedEnv(temp.dir, { LOOKALIKE_MODEL_HUB_URL: hub.url, LOOKALIKE_MODEL_DIR: '' });
    const fetched = await runCli(['models', 'fetch', 'siglip2-vit-b16'], env);
    expect(fetched.code, fetched.stderr).toBe(0);
    const dir = path.join(temp.dir, 'cache', 'models', 'ViT-B-16-SigLIP2__webli');
    expect(fetched.stdout).toContain(`model ready: ${dir} (set LOOKALIKE_MODEL=siglip2-vit-b16 to use it)`);
    for (const file of ['config.json', 'visual/model.onnx', 'textual/tokenizer.json']) {
      await expectSameAsFixture(dir, file, siglipFixture);
    }

    const listed = await runCli(['models', 'list', '--json'], { ...env, LOOKALIKE_MODEL: 'siglip2-vit-b16' });
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as { name: string; installed: boolean; configured: boolean }[];
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['openai-vit-b32', 'laion2b-vit-b32']));
    expect(rows.find((r) => r.name === 'siglip2-vit-b16')).toMatchObject({
      installed: true,
      configured: true,
    });
    expect(rows.find((r) => r.name === 'openai-vit-b32')).toMatchObject({
      installed: false,
      configured: false,
    });

    const config = parseConfig({
      LOOKALIKE_CACHE_DIR: path.join(temp.dir, 'cache'),
      LOOKALIKE_MODEL: 'siglip2-vit-b16',
    });
    const embedder = await openEmbedder(config);
    try {
      expect(embedder.modelId).toBe('ViT-B-16-SigLIP2__webli@fp32');
    } finally {
      await embedder.close();
    }
  });

  it('refuses an unknown name, listing the known ones; a wrong checksum leaves no model folder', async () => {
    hub = await startHubServer({
      repos: { [siglipRepo]: siglipFixture },
      wrongChecksum: new Set(['textual/model.onnx']),
    });
    const env = isolatedEnv(temp.dir, { LOOKALIKE_MODEL_HUB_URL: hub.url, LOOKALIKE_MODEL_DIR: '' });
    const unknown = await runCli(['models', 'fetch', 'vit-huge'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/vit-huge: unknown model \(known: openai-vit-b32, laion2b-vit-b32/);
    const bad = await runCli(['models', 'fetch', 'siglip2-vit-b16'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/textual\/model.onnx: sha256 mismatch/);
    expect(existsSync(path.join(temp.dir, 'cache', 'models', 'ViT-B-16-SigLIP2__webli'))).toBe(false);
  });
});
