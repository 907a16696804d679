import type { ImagePlan } from './image-config.js';

export interface Size {
  width: number;
  height: number;
}

/** A window of the resized image; it may reach outside it (then the outside is padded with zeros). */
export interface Window {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The size transformers' get_resize_output_image_size gives (default_to_square=False): the shortest edge becomes
 * `shortestEdge` and the other edge int(shortestEdge * long / short), floored, computed in the same order.
 */
export function resizedSize(source: Size, plan: Pick<ImagePlan, 'resize'>): Size {
  const resize = plan.resize;
  if (resize === null) return source;
  if (!('shortestEdge' in resize)) return { width: resize.width, height: resize.height };
  const edge = resize.shortestEdge;
  const { width, height } = source;
  if (width <= height) return { width: edge, height: Math.trunc((edge * height) / width) };
  return { width: Math.trunc((edge * width) / height), height: edge };
}

/** Python's round(): halves go to the even neighbour. */
const roundHalfEven = (x: number) => {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
};

/**
 * The centre crop's offsets: transformers' center_crop floors (h - crop_h) // 2, torchvision's (open_clip's) takes
 * int(round((h - crop_h) / 2.0)); they differ by one pixel when the margin is odd.
 */
export function centreCrop(image: Size, plan: Pick<ImagePlan, 'crop' | 'cropRounding'>): Window {
  const crop = plan.crop ?? image;
  const offset = plan.cropRounding === 'floor' ? Math.floor : roundHalfEven;
  return {
    left: offset((image.width - crop.width) / 2),
    top: offset((image.height - crop.height) / 2),
    width: crop.width,
    height: crop.height,
  };
}

/** The part of `window` that lies inside `image` (what can be read from it), or null when nothing does. */
export function insideOf(window: Window, image: Size): Window | null {
  const left = Math.max(0, window.left);
  const top = Math.max(0, window.top);
  const right = Math.min(image.width, window.left + window.width);
  const bottom = Math.min(image.height, window.top + window.height);
  if (right <= left || bottom <= top) return null;
  return { left, top, width: right - left, height: bottom - top };
}
