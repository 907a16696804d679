// Loading model folders: precision variants, and a clear error naming the file for each thing that can be wrong.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { openEmbedder } from '../../src/model/index.js';
import { tinyOnnx } from './helpers/onnx-graph.js';
import {
  clipDir,
  copyModel,
  cosine,
  fixtures,
  multilingualDir,
  readExpected,
  tempFolder,
  tinyEmbedder,
} from './helpers/fixtures.js';

let temp: Awaited<ReturnType<typeof tempFolder>>;
beforeAll(async () => {
  temp = await tempFolder();
});
afterAll(() => temp.remove());

const photos = [
  'photo-cat.jpg',
  'photo-china.jpg',
  'photo-coffee.jpg',
  'photo-flower.jpg',
  'tiny-8x8.png',
].map((file) => ({ name: file, path: path.join(fixtures, 'images', file) }));

async function editJson(file: string, edit: (json: Record<string, unknown>) => void) {
  const json = JSON.parse(await readFile(file, 'utf8'));
  edit(json);
  await writeFile(file, JSON.stringify(json));
}

describe('precision variants', () => {
  it.each([
    { precision: 'fp16' as const, minCosine: 0.9999 },
    { precision: 'quantized' as const, minCosine: 0.99 },
  ])('$precision loads and stays within cosine $minCosine of fp32', async ({ precision, minCosine }) => {
    const texts = (await readExpected(clipDir)).texts.map((t) => t.text);
    const fp32 = await tinyEmbedder();
    const variant = await tinyEmbedder({ precision });
    try {
      expect(variant.modelId).toBe(`tiny-clip@${precision}`);
      const pairs = [
        [await fp32.embedImages(photos), await variant.embedImages(photos)],
        [await fp32.embedTexts(texts), await variant.embedTexts(texts)],
      ] as const;
      const cosines = pairs.flatMap(([a, b]) =>
        a.map((v, i) => cosine(v as Float32Array, b[i] as Float32Array)),
      );
      console.log(
        `${precision} vs fp32: min cosine ${Math.min(...cosines).toFixed(6)} over ${cosines.length} vectors`,
      );
      for (const c of cosines) expect(c).toBeGreaterThanOrEqual(minCosine);
    } finally {
      await Promise.all([fp32.close(), variant.close()]);
    }
  });

  it('names the missing graph of the chosen precision', async () => {
    const dir = await copyModel(clipDir, temp.dir, 'no-fp16');
    await rm(path.join(dir, 'onnx/vision_model_fp16.onnx'));
    await expect(tinyEmbedder({ modelDir: dir, precision: 'fp16' })).rejects.toThrow(
      `${dir}/onnx/vision_model_fp16.onnx: missing (precision fp16`,
    );
  });
});

describe('model ids', () => {
  it('come from the hub name or the folder name, plus precision and text model', async () => {
    const withText = await tinyEmbedder({ textModelDir: multilingualDir, precision: 'quantized' });
    await withText.close();
    expect(withText.modelId).toBe('tiny-clip@quantized+text:tiny-multilingual@quantized');

    const dir = await copyModel(clipDir, temp.dir, 'renamed-folder');
    await editJson(path.join(dir, 'config.json'), (c) => (c._name_or_path = 'openai/clip-vit-base-patch32'));
    const named = await tinyEmbedder({ modelDir: dir });
    await named.close();
    expect(named.modelId).toBe('openai/clip-vit-base-patch32@fp32');
    expect(named.dims).toBe(512);
  });
});

describe('a broken model folder is a clear error naming the file', () => {
  it.each(['config.json', 'tokenizer.json', 'preprocessor_config.json', 'onnx/text_model.onnx'])(
    'missing %s',
    async (file) => {
      const dir = await copyModel(clipDir, temp.dir, `missing-${file.replace('/', '-')}`);
      await rm(path.join(dir, file));
      await expect(tinyEmbedder({ modelDir: dir })).rejects.toThrow(`${dir}/${file}: missing`);
    },
  );

  it('a folder that does not exist', async () => {
    await expect(tinyEmbedder({ modelDir: path.join(temp.dir, 'nowhere') })).rejects.toThrow(
      `${path.join(temp.dir, 'nowhere')}: model folder not found`,
    );
  });

  it('a JSON file that does not parse', async () => {
    const dir = await copyModel(clipDir, temp.dir, 'bad-json');
    await writeFile(path.join(dir, 'preprocessor_config.json'), '{ "size": ');
    await expect(tinyEmbedder({ modelDir: dir })).rejects.toThrow(
      `${dir}/preprocessor_config.json: is not a valid JSON object`,
    );
  });

  it('an unexpected input name', async () => {
    const dir = await copyModel(clipDir, temp.dir, 'bad-input');
    const graph = tinyOnnx({ kind: 'image', inputs: ['pixels'], output: 'image_embeds', dims: 512 });
    await writeFile(path.join(dir, 'onnx/vision_model.onnx'), graph);
    await expect(tinyEmbedder({ modelDir: dir })).rejects.toThrow(
      `${dir}/onnx/vision_model.onnx: unexpected input "pixels" (expected pixel_values)`,
    );
  });

  it('a missing output', async () => {
    const dir = await copyModel(clipDir, temp.dir, 'bad-output');
    const graph = tinyOnnx({ kind: 'text', inputs: ['input_ids'], output: 'pooler_output', dims: 512 });
    await writeFile(path.join(dir, 'onnx/text_model.onnx'), graph);
    await expect(tinyEmbedder({ modelDir: dir })).rejects.toThrow(
      `${dir}/onnx/text_model.onnx: no float32 output "text_embeds" (outputs: "pooler_output")`,
    );
  });

  it('vision output size against config.json projection_dim', async () => {
    const dir = await copyModel(clipDir, temp.dir, 'bad-projection');
    await editJson(path.join(dir, 'config.json'), (c) => (c.projection_dim = 256));
    await expect(tinyEmbedder({ modelDir: dir })).rejects.toThrow(
      `${dir}/onnx/vision_model.onnx: image_embeds has 512 dimensions but ${dir}/config.json projection_dim is 256`,
    );
  });

  it('a text model whose size differs from the vision side', async () => {
    const dir = await copyModel(multilingualDir, temp.dir, 'text-256');
    const graph = tinyOnnx({
      kind: 'text',
      inputs: ['input_ids', 'attention_mask'],
      output: 'text_embeds',
      dims: 256,
    });
    await writeFile(path.join(dir, 'onnx/text_model.onnx'), graph);
    await expect(tinyEmbedder({ textModelDir: dir })).rejects.toThrow(
      `${dir}/onnx/text_model.onnx: text_embeds has 256 dimensions but the vision model gives 512`,
    );
  });

  it('an image size the graph does not take', async () => {
    const dir = await copyModel(clipDir, temp.dir, 'bad-crop');
    await editJson(
      path.join(dir, 'preprocessor_config.json'),
      (c) => (c.crop_size = { height: 200, width: 200 }),
    );
    await expect(tinyEmbedder({ modelDir: dir })).rejects.toThrow(
      `${dir}/onnx/vision_model.onnx: pixel_values height is 224 but ${dir}/preprocessor_config.json gives 200`,
    );
  });

  it('a working hand-made text graph with attention_mask is accepted', async () => {
    const dir = await copyModel(multilingualDir, temp.dir, 'text-512');
    const graph = tinyOnnx({
      kind: 'text',
      inputs: ['input_ids', 'attention_mask'],
      output: 'text_embeds',
      dims: 512,
    });
    await writeFile(path.join(dir, 'onnx/text_model.onnx'), graph);
    const embedder = await tinyEmbedder({ textModelDir: dir });
    try {
      const [vector] = await embedder.embedTexts(['hello']);
      expect(vector).toHaveLength(512);
    } finally {
      await embedder.close();
    }
  });
});

describe('openEmbedder', () => {
  it('asks to run `lookalike models fetch <name>` when the configured model is not there', async () => {
    const config = parseConfig({ LOOKALIKE_CACHE_DIR: path.join(temp.dir, 'empty-cache') });
    await expect(openEmbedder(config)).rejects.toThrow(/run `lookalike models fetch laion2b-vit-b32`/);
    const siglip = { ...config, LOOKALIKE_MODEL: 'siglip2-vit-b16' as const };
    await expect(openEmbedder(siglip)).rejects.toThrow(/run `lookalike models fetch siglip2-vit-b16`/);
  });

  it('names the known models when LOOKALIKE_MODEL is not one of them', () => {
    expect(() => parseConfig({ LOOKALIKE_MODEL: 'vit-huge' })).toThrow(
      /LOOKALIKE_MODEL: .*openai-vit-b32.*laion2b-vit-b32.*siglip2-vit-b16/,
    );
  });

  it("asks for the seed pairing's text encoder to be exported when it is missing", async () => {
    const cache = path.join(temp.dir, 'seed-cache');
    await copyModel(clipDir, path.join(cache, 'models'), 'clip-vit-base-patch32');
    const config = parseConfig({
      LOOKALIKE_CACHE_DIR: cache,
      LOOKALIKE_MODEL: 'openai-vit-b32-multilingual',
    });
    await expect(openEmbedder(config)).rejects.toThrow(
      /no text encoder at .*clip-ViT-B-32-multilingual-v1: .*scripts\/export-onnx.py --multilingual/,
    );
  });

  it('opens LOOKALIKE_MODEL_DIR with LOOKALIKE_TEXT_MODEL_DIR and LOOKALIKE_PRECISION', async () => {
    const config = parseConfig({
      LOOKALIKE_MODEL_DIR: clipDir,
      LOOKALIKE_TEXT_MODEL_DIR: multilingualDir,
      LOOKALIKE_PRECISION: 'fp16',
      LOOKALIKE_THREADS: '1',
    });
    const embedder = await openEmbedder(config);
    await embedder.close();
    expect(embedder.modelId).toBe('tiny-clip@fp16+text:tiny-multilingual@fp16');
  });
});
