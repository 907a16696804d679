// Resize sizes and crop offsets computed as transformers computes them, from preprocessor_config.json.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { centreCrop, insideOf, resizedSize } from '../../src/model/geometry.js';
import { imagePlan } from '../../src/model/image-config.js';
import { clipDir, readExpected } from './helpers/fixtures.js';

const plan = imagePlan({ size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 } });

describe('resize and crop geometry', () => {
  it('matches every size and offset the reference recorded', async () => {
    const expected = await readExpected(clipDir);
    const decoded = expected.images.filter((i) => i.resized) as Required<(typeof expected.images)[number]>[];
    expect(decoded.length).toBeGreaterThanOrEqual(16);
    for (const image of decoded) {
      const [width, height] = image.decoded.size_after_exif;
      const target = resizedSize({ width, height }, plan);
      expect([target.width, target.height], image.file).toEqual(image.resized);
      const window = centreCrop(target, plan);
      expect({ left: window.left, top: window.top }, image.file).toEqual({
        left: image.crop.left,
        top: image.crop.top,
      });
    }
  });

  it('floors the long edge as int(224 * long / short) does, where rounding would differ', () => {
    expect(resizedSize({ width: 640, height: 427 }, plan)).toEqual({ width: 335, height: 224 }); // 335.74
    expect(resizedSize({ width: 427, height: 640 }, plan)).toEqual({ width: 224, height: 335 });
    expect(resizedSize({ width: 300, height: 300 }, plan)).toEqual({ width: 224, height: 224 });
  });

  it('pads outside the image when the crop is larger, at transformers offsets', () => {
    const small = imagePlan({ size: { shortest_edge: 100 }, crop_size: { height: 224, width: 224 } });
    const target = resizedSize({ width: 221, height: 100 }, small);
    const window = centreCrop(target, small);
    expect(window).toEqual({ left: -2, top: -62, width: 224, height: 224 });
    expect(insideOf(window, target)).toEqual({ left: 0, top: 0, width: 221, height: 100 });
  });
});

describe('preprocessor_config.json', () => {
  it('reads the fixture and the older integer form (Xenova exports) alike', async () => {
    const fixture = imagePlan(
      JSON.parse(await readFile(path.join(clipDir, 'preprocessor_config.json'), 'utf8')),
    );
    const older = imagePlan({ size: 224, crop_size: 224, resample: 3, do_center_crop: true });
    expect(older).toEqual(fixture);
    expect(fixture.resize).toEqual({ shortestEdge: 224 });
    expect(fixture.kernel).toBe('cubic');
    // (0 / 255 - mean) / std for red.
    expect(fixture.lookup[0][0]).toBeCloseTo(-0.48145466 / 0.26862954, 6);
  });

  it('refuses a value it cannot use', () => {
    expect(() => imagePlan({ resample: 5 })).toThrow();
    expect(() => imagePlan({ image_mean: [0.5] })).toThrow();
  });
});
