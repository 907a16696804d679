import type { Kernel } from './image-config.js';

/**
 * A port of Pillow's separable resampling (libImaging/Resample.c) for 8-bit RGB, restricted to an output window.
 * libvips matches Pillow to a grey level or two when shrinking, but not when enlarging (a different interpolator),
 * so images whose resize enlarges (short side under 224) go through this exact copy instead. Only the output
 * window is computed, so the cost is bounded by the crop size, however long the image.
 */

const filters: Record<Kernel, { support: number; weight: (x: number) => number }> = {
  nearest: { support: 0.5, weight: (x) => (x >= -0.5 && x < 0.5 ? 1 : 0) },
  linear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  cubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos3: {
    support: 3,
    weight: (x) => {
      const sinc = (t: number) => (t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t));
      return x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
    },
  },
};

const precisionBits = 32 - 8 - 2;

/** Fixed-point coefficients of one axis for output positions [first, first + count). */
export interface AxisCoefficients {
  /** First source index read by each output position. */
  start: Int32Array;
  /** Number of source indices read by each output position. */
  length: Int32Array;
  /** `taps` integer weights per output position (Pillow's normalize_coeffs_8bpc). */
  weights: Int32Array;
  taps: number;
  /** The source range all positions together read: [lo, hi). */
  lo: number;
  hi: number;
}

/** Pillow's precompute_coeffs for an axis of `inSize` resized to `outSize`, for outputs first..first+count-1. */
export function axisCoefficients(
  inSize: number,
  outSize: number,
  first: number,
  count: number,
  kernel: Kernel,
): AxisCoefficients {
  const filter = filters[kernel];
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(count);
  const length = new Int32Array(count);
  const weights = new Int32Array(count * taps);
  const raw = new Float64Array(taps);
  let lo = inSize;
  let hi = 0;
  for (let i = 0; i < count; i++) {
    const center = (first + i + 0.5) * scale;
    const min = Math.max(0, Math.trunc(center - support + 0.5));
    const max = Math.min(inSize, Math.trunc(center + support + 0.5)) - min;
    let sum = 0;
    for (let k = 0; k < max; k++) {
      const w = filter.weight((k + min - center + 0.5) / filterScale);
      raw[k] = w;
      sum += w;
    }
    for (let k = 0; k < max; k++) {
      const w = sum !== 0 ? (raw[k] as number) / sum : (raw[k] as number);
      weights[i * taps + k] = Math.trunc(w * (1 << precisionBits) + (w < 0 ? -0.5 : 0.5));
    }
    start[i] = min;
    length[i] = max;
    lo = Math.min(lo, min);
    hi = Math.max(hi, min + max);
  }
  return { start, length, weights, taps, lo, hi };
}

const clip8 = (acc: number) => {
  const v = acc >> precisionBits;
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/**
 * Resamples `source` (RGB rows of `width` pixels covering source rows rows.lo..rows.hi and columns cols.lo..cols.hi)
 * into an RGB buffer of cols-count x rows-count pixels: horizontal pass first, each pass rounding to 8 bits, as
 * Pillow does.
 */
export function resampleRgb(source: Buffer, cols: AxisCoefficients, rows: AxisCoefficients): Buffer {
  const width = cols.hi - cols.lo;
  const outWidth = cols.start.length;
  const outHeight = rows.start.length;
  const bandRows = rows.hi - rows.lo;
  const half = 1 << (precisionBits - 1);
  const temp = Buffer.alloc(outWidth * bandRows * 3);
  for (let y = 0; y < bandRows; y++) {
    for (let x = 0; x < outWidth; x++) {
      const base = x * cols.taps;
      const n = cols.length[x] as number;
      let p = (y * width + (cols.start[x] as number) - cols.lo) * 3;
      let r = half;
      let g = half;
      let b = half;
      for (let k = 0; k < n; k++, p += 3) {
        const w = cols.weights[base + k] as number;
        r += (source[p] as number) * w;
        g += (source[p + 1] as number) * w;
        b += (source[p + 2] as number) * w;
      }
      const q = (y * outWidth + x) * 3;
      temp[q] = clip8(r);
      temp[q + 1] = clip8(g);
      temp[q + 2] = clip8(b);
    }
  }
  const out = Buffer.alloc(outWidth * outHeight * 3);
  for (let y = 0; y < outHeight; y++) {
    const base = y * rows.taps;
    const n = rows.length[y] as number;
    const top = (rows.start[y] as number) - rows.lo;
    for (let x = 0; x < outWidth; x++) {
      let p = (top * outWidth + x) * 3;
      let r = half;
      let g = half;
      let b = half;
      for (let k = 0; k < n; k++, p += outWidth * 3) {
        const w = rows.weights[base + k] as number;
        r += (temp[p] as number) * w;
        g += (temp[p + 1] as number) * w;
        b += (temp[p + 2] as number) * w;
      }
      const q = (y * outWidth + x) * 3;
      out[q] = clip8(r);
      out[q + 1] = clip8(g);
      out[q + 2] = clip8(b);
    }
  }
  return out;
}
