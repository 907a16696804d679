import type { Size } from './geometry.js';

/**
 * The factor by which sharp asks libjpeg to shrink a JPEG while decoding it, for a resize that shrinks by
 * `shrink` (the smaller of the two axes' factors), as sharp 0.35 decides it (src/pipeline.cc): the largest of
 * 8, 4, 2 that `shrink` reaches (twice that with fastShrinkOnLoad off, which leaves the final resize at least a
 * factor of two), halved when the whole part of `shrink` equals it ("known libjpeg rounding errors").
 */
export function jpegLoadFactor(shrink: number, fastShrinkOnLoad: boolean): 1 | 2 | 4 | 8 {
  const margin = fastShrinkOnLoad ? 1 : 2;
  let factor: 1 | 2 | 4 | 8 = 1;
  if (shrink >= 8 * margin) factor = 8;
  else if (shrink >= 4 * margin) factor = 4;
  else if (shrink >= 2 * margin) factor = 2;
  if (factor > 1 && Math.trunc(shrink) === factor) factor = (factor / 2) as 2 | 4;
  return factor;
}

/** The size libvips decodes a JPEG of `size` to when libjpeg shrinks it by `factor` (rounded down). */
export const jpegLoadedSize = (size: Size, factor: number): Size => ({
  width: Math.floor(size.width / factor),
  height: Math.floor(size.height / factor),
});

/**
 * The upright size a large JPEG is decoded to once, when the model's input and a thumbnail are both made from
 * it: twice the model's resized image on each axis (so the model's own resize is still a shrink by two or more,
 * bench/phone-photos.md), reached with a single entropy decode shrunk on load. Null when libjpeg would not
 * shrink it on load (a small image): then there is nothing to save and each keeps its own decode.
 */
export function decodeOnceSize(source: Size, target: Size): Size | null {
  const size = { width: 2 * target.width, height: 2 * target.height };
  const shrink = Math.min(source.width / size.width, source.height / size.height);
  return jpegLoadFactor(shrink, true) >= 2 ? size : null;
}
