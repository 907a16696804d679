// The vision tower leaves memory after a quiet spell and comes back for the next image, giving the same vectors;
// it never leaves in the middle of a run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ResidentTower } from '../../src/model/resident-tower.js';
import { Tower } from '../../src/model/tower.js';
import { clipDir, fixtures, tinyEmbedder } from './helpers/fixtures.js';

const visionFile = path.join(clipDir, 'onnx/vision_model.onnx');
const spec = { required: ['pixel_values'], output: 'image_embeds' };
const pixels = (rows: number) => ({
  pixel_values: new ort.Tensor(
    'float32',
    Float32Array.from({ length: rows * 3 * 224 * 224 }, (_, i) => Math.sin(i) / 2),
    [rows, 3, 224, 224],
  ),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ResidentTower', () => {
  it('releases the session after idleMs without runs and loads it again for the next run', async () => {
    const tower = new ResidentTower(visionFile, spec, 1, 40, await Tower.open(visionFile, spec, 1));
    try {
      const first = await tower.embed(pixels(2), 2);
      expect(tower.resident).toBe(true);
      await sleep(150);
      expect(tower.resident).toBe(false);
      const again = await tower.embed(pixels(2), 2);
      expect(tower.resident).toBe(true);
      expect(Array.from(again[1] as Float32Array)).toEqual(Array.from(first[1] as Float32Array));
    } finally {
      await tower.release();
    }
    expect(tower.resident).toBe(false);
    await expect(tower.embed(pixels(1), 1)).rejects.toThrow(/closed/);
  });

  it('stays loaded while runs keep coming and during a run longer than idleMs', async () => {
    const tower = new ResidentTower(visionFile, spec, 1, 40, await Tower.open(visionFile, spec, 1));
    try {
      for (let i = 0; i < 5; i++) {
        await tower.embed(pixels(1), 1);
        await sleep(15);
        expect(tower.resident).toBe(true);
      }
      // A batch of 64 runs well past 40 ms on the tiny model; it must finish on the session it started on.
      const long = tower.embed(pixels(64), 64);
      await sleep(60);
      expect(tower.resident).toBe(true);
      expect(await long).toHaveLength(64);
    } finally {
      await tower.release();
    }
  });

  it('never released: idleMs Infinity keeps the session for good', async () => {
    const tower = new ResidentTower(visionFile, spec, 1, Infinity, await Tower.open(visionFile, spec, 1));
    try {
      await tower.embed(pixels(1), 1);
      await sleep(60);
      expect(tower.resident).toBe(true);
    } finally {
      await tower.release();
    }
  });
});

describe('embedder with visionIdleMs', () => {
  it('embeds the same image alike before and after its image model left memory; texts meanwhile', async () => {
    const embedder = await tinyEmbedder({ visionIdleMs: 30 });
    try {
      const bytes = readFileSync(path.join(fixtures, 'images/photo-cat.jpg'));
      const [before] = await embedder.embedImages([{ name: 'cat', bytes }]);
      await sleep(120);
      const [text] = await embedder.embedTexts(['a cat']);
      expect(text).toBeInstanceOf(Float32Array);
      const [after] = await embedder.embedImages([{ name: 'cat', bytes }]);
      expect(Array.from(after as Float32Array)).toEqual(Array.from(before as Float32Array));
    } finally {
      await embedder.close();
    }
  });
});

describe('embedder with textIdleMs 0, as indexing opens it', () => {
  it('embeds texts exactly as an embedder that kept its text model, loading it again when asked', async () => {
    const kept = await tinyEmbedder({});
    const released = await tinyEmbedder({ textIdleMs: 0 });
    try {
      await sleep(50); // the text model leaves memory right after the startup checks
      const texts = ['a cat', 'a snowy mountain'];
      const [a, b] = await Promise.all([kept.embedTexts(texts), released.embedTexts(texts)]);
      expect(b.map((v) => Array.from(v as Float32Array))).toEqual(
        a.map((v) => Array.from(v as Float32Array)),
      );
    } finally {
      await Promise.all([kept.close(), released.close()]);
    }
  });
});
