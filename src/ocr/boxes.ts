import type { TextBox } from './types.js';

/** The DB post-processing settings PaddleOCR ships for PP-OCRv4 (tools/infer/utility.py defaults). */
export interface BoxSettings {
  /** A map pixel is text when its probability exceeds this. */
  threshold: number;
  /** A region is kept when its mean probability reaches this. */
  boxThreshold: number;
  /** How far a region grows back out: DB's maps shrink each line by this ratio of area to perimeter. */
  unclipRatio: number;
  /** Regions thinner than this (map pixels) are noise. */
  minSize: number;
  maxBoxes: number;
}

export const defaultBoxSettings: BoxSettings = {
  threshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 1.5,
  minSize: 3,
  maxBoxes: 1000,
};

/** A probability map as the detector returns it: one float per pixel, row by row. */
export interface ProbabilityMap {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * Text line regions of a DB probability map, in map pixels: the connected regions above `threshold`, each
 * enclosed in its smallest oriented rectangle (long axis from the region's second moments), grown back by the
 * unclip distance, and kept when its mean probability reaches `boxThreshold`. A rectangle is treated as
 * rotated only when that is clearly tighter than the upright one, so single glyphs are never read sideways.
 */
export function findTextBoxes(map: ProbabilityMap, settings: BoxSettings = defaultBoxSettings): TextBox[] {
  const boxes: TextBox[] = [];
  for (const region of regions(map, settings.threshold)) {
    if (boxes.length >= settings.maxBoxes) break;
    const score = region.sum / region.pixels.length;
    if (score < settings.boxThreshold) continue;
    const box = enclose(region.pixels, map.width);
    if (Math.min(box.length, box.thickness) < settings.minSize) continue;
    const grow = (box.length * box.thickness * settings.unclipRatio) / (2 * (box.length + box.thickness));
    boxes.push(
      toTextBox({ ...box, length: box.length + 2 * grow, thickness: box.thickness + 2 * grow }, score),
    );
  }
  return boxes;
}

interface Region {
  /** Pixel indices (y * width + x). */
  pixels: number[];
  /** Sum of the probabilities over the pixels. */
  sum: number;
}

/** 8-connected regions of pixels above the threshold (what cv2.findContours outlines for DB). */
function* regions(map: ProbabilityMap, threshold: number): Generator<Region> {
  const { data, width, height } = map;
  const seen = new Uint8Array(width * height);
  const stack: number[] = [];
  for (let start = 0; start < data.length; start++) {
    if (seen[start] || (data[start] as number) <= threshold) continue;
    seen[start] = 1;
    stack.push(start);
    const pixels: number[] = [];
    let sum = 0;
    while (stack.length > 0) {
      const p = stack.pop() as number;
      pixels.push(p);
      sum += data[p] as number;
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (!seen[q] && (data[q] as number) > threshold) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    yield { pixels, sum };
  }
}

interface OrientedRect {
  cx: number;
  cy: number;
  /** Unit vector of the long side. */
  ux: number;
  uy: number;
  length: number;
  thickness: number;
}

function enclose(pixels: number[], width: number): OrientedRect {
  let mx = 0;
  let my = 0;
  for (const p of pixels) {
    mx += p % width;
    my += Math.floor(p / width);
  }
  mx /= pixels.length;
  my /= pixels.length;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (const p of pixels) {
    const dx = (p % width) - mx;
    const dy = Math.floor(p / width) - my;
    xx += dx * dx;
    yy += dy * dy;
    xy += dx * dy;
  }
  const angle = 0.5 * Math.atan2(2 * xy, xx - yy);
  const rotated = extent(pixels, width, Math.cos(angle), Math.sin(angle));
  const upright = extent(pixels, width, 1, 0);
  // Pixels are unit squares: a rotated rectangle must be clearly tighter to be worth reading at an angle.
  const pick =
    rotated.length * rotated.thickness < 0.8 * upright.length * upright.thickness ? rotated : upright;
  return pick.length >= pick.thickness
    ? pick
    : { ...pick, ux: -pick.uy, uy: pick.ux, length: pick.thickness, thickness: pick.length };
}

/** The rectangle along (ux, uy) and its normal that holds every pixel square. */
function extent(pixels: number[], width: number, ux: number, uy: number): OrientedRect {
  let minU = Infinity;
  let maxU = -Infinity;
  let minV = Infinity;
  let maxV = -Infinity;
  for (const p of pixels) {
    const x = (p % width) + 0.5;
    const y = Math.floor(p / width) + 0.5;
    const u = x * ux + y * uy;
    const v = -x * uy + y * ux;
    if (u < minU) minU = u;
    if (u > maxU) maxU = u;
    if (v < minV) minV = v;
    if (v > maxV) maxV = v;
  }
  // Half a pixel on each side: the corners of the outermost pixel squares (for axis-aligned rectangles).
  const length = maxU - minU + 1;
  const thickness = maxV - minV + 1;
  const cu = (minU + maxU) / 2;
  const cv = (minV + maxV) / 2;
  return { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, ux, uy, length, thickness };
}

/**
 * The rectangle as a reading-order parallelogram. A line is read left to right when its long side is closer
 * to horizontal, else top to bottom (text turned a quarter clockwise); upside-down text is left to the
 * line classifier.
 */
function toTextBox(rect: OrientedRect, score: number): TextBox {
  let { ux, uy } = rect;
  const horizontal = Math.abs(ux) >= Math.abs(uy);
  if ((horizontal && ux < 0) || (!horizontal && uy < 0)) {
    ux = -ux;
    uy = -uy;
  }
  const along = { x: ux * rect.length, y: uy * rect.length };
  const across = { x: -uy * rect.thickness, y: ux * rect.thickness };
  return {
    origin: { x: rect.cx - along.x / 2 - across.x / 2, y: rect.cy - along.y / 2 - across.y / 2 },
    along,
    across,
    score,
  };
}

/** The same box in another pixel grid (the detector reads a resized copy). */
export function scaleBox(box: TextBox, sx: number, sy: number): TextBox {
  const scale = (p: { x: number; y: number }) => ({ x: p.x * sx, y: p.y * sy });
  return { origin: scale(box.origin), along: scale(box.along), across: scale(box.across), score: box.score };
}

/** The box turned half a turn: the same region read from its other end. */
export function flipBox(box: TextBox): TextBox {
  return {
    origin: {
      x: box.origin.x + box.along.x + box.across.x,
      y: box.origin.y + box.along.y + box.across.y,
    },
    along: { x: -box.along.x, y: -box.along.y },
    across: { x: -box.across.x, y: -box.across.y },
    score: box.score,
  };
}

export const boxLength = (box: TextBox) => Math.hypot(box.along.x, box.along.y);
export const boxThickness = (box: TextBox) => Math.hypot(box.across.x, box.across.y);
