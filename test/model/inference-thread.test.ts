// The session runs on its own thread: same outputs as an in-process session, and the main event loop keeps
// turning while a batch runs (an in-process onnxruntime run blocks it for the whole batch).
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceThread } from '../../src/model/inference-thread.js';

const visionFile = path.resolve(import.meta.dirname, '../fixtures/tiny-clip/onnx/vision_model.onnx');
const options = { intraOpNumThreads: 1 };
const batch = (rows: number) =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: rows * 3 * 224 * 224 }, (_, i) => Math.sin(i) / 2),
    [rows, 3, 224, 224],
  );

describe('InferenceThread', () => {
  let thread: InferenceThread;
  beforeAll(async () => {
    thread = await InferenceThread.open(visionFile, options);
  });
  afterAll(() => thread.release());

  it('reports the graph metadata and gives the same outputs as an in-process session', async () => {
    expect(thread.inputMetadata.map((m) => m.name)).toEqual(['pixel_values']);
    expect(thread.outputNames).toContain('image_embeds');
    const local = await ort.InferenceSession.create(visionFile, options);
    const expected = (await local.run({ pixel_values: batch(3) }))['image_embeds'] as ort.Tensor;
    await local.release();
    const got = (await thread.run({ pixel_values: batch(3) }, ['image_embeds']))[
      'image_embeds'
    ] as ort.Tensor;
    expect(got.dims).toEqual(expected.dims);
    const diff = Math.max(
      ...Array.from(got.data as Float32Array, (x, i) => Math.abs(x - (expected.data as Float32Array)[i]!)),
    );
    expect(diff).toBeLessThan(1e-5);
  });

  it('leaves the event loop free while a batch runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    await thread.run({ pixel_values: batch(64) }, ['image_embeds']);
    const tookMs = performance.now() - started;
    clearInterval(timer);
    // A blocked loop fires a 1 ms interval at most once per run; a free one fires it every few milliseconds.
    expect(tookMs).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThan(3);
  });

  it("passes onnxruntime's error for a bad feed and keeps working", async () => {
    const wrong = new ort.Tensor('float32', new Float32Array(3 * 8 * 8), [1, 3, 8, 8]);
    await expect(thread.run({ pixel_values: wrong }, ['image_embeds'])).rejects.toThrow(
      /dimension|shape|index/i,
    );
    const ok = await thread.run({ pixel_values: batch(1) }, ['image_embeds']);
    expect(ok['image_embeds']?.dims).toEqual([1, 512]);
  });
});

describe('InferenceThread lifecycle', () => {
  it('refuses a file onnxruntime cannot load, with its reason', async () => {
    await expect(InferenceThread.open(import.meta.filename, options)).rejects.toThrow(
      /protobuf|parsing|load/i,
    );
  });

  it('fails runs after release instead of waiting forever', async () => {
    const thread = await InferenceThread.open(visionFile, options);
    await thread.release();
    await expect(thread.run({ pixel_values: batch(1) }, ['image_embeds'])).rejects.toThrow(/released/);
  });
});
