import { z } from 'zod';

/** transformers' OPENAI_CLIP_MEAN / OPENAI_CLIP_STD: CLIPImageProcessor's defaults. */
const clipMean = [0.48145466, 0.4578275, 0.40821073];
const clipStd = [0.26862954, 0.26130258, 0.27577711];

const side = z.number().int().positive();
const triple = z.array(z.number()).length(3);
// Older exports (e.g. Xenova/clip-vit-base-patch32) write `size: 224` and `crop_size: 224`.
const sizeSchema = z.union([
  side.transform((n) => ({ shortest_edge: n })),
  z.object({ shortest_edge: side }),
  z.object({ height: side, width: side }),
]);
const cropSchema = z.union([
  side.transform((n) => ({ height: n, width: n })),
  z.object({ height: side, width: side }),
]);

/** The keys of preprocessor_config.json that CLIPImageProcessor reads, with its defaults. */
export const preprocessorConfigSchema = z.object({
  do_resize: z.boolean().default(true),
  size: sizeSchema.default({ shortest_edge: 224 }),
  // PIL resampling filters: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic.
  resample: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).default(3),
  do_center_crop: z.boolean().default(true),
  crop_size: cropSchema.default({ height: 224, width: 224 }),
  do_rescale: z.boolean().default(true),
  rescale_factor: z
    .number()
    .positive()
    .default(1 / 255),
  do_normalize: z.boolean().default(true),
  image_mean: triple.default(clipMean),
  image_std: triple.default(clipStd),
});

export type Kernel = 'nearest' | 'lanczos3' | 'linear' | 'cubic';
const kernels: Record<0 | 1 | 2 | 3, Kernel> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic' };

/**
 * Where a centre crop starts when the margin is odd: transformers floors (w - crop) / 2, torchvision (open_clip)
 * rounds it half to even, as Python's round() does.
 */
export type CropRounding = 'floor' | 'half-even';

/** What to do to every image, resolved once from the model's preprocessor_config.json or preprocess_cfg.json. */
export interface ImagePlan {
  resize: { shortestEdge: number } | { width: number; height: number } | null;
  kernel: Kernel;
  crop: { width: number; height: number } | null;
  cropRounding: CropRounding;
  /** Per channel: value (0..255) -> model input, i.e. (v * rescale - mean) / std folded into one table. */
  lookup: [Float32Array, Float32Array, Float32Array];
}

/** Per channel: value (0..255) -> (v * scale - mean) / std, or v * scale without normalising. */
const lookupTables = (scale: number, mean?: number[], std?: number[]): ImagePlan['lookup'] => {
  const table = (channel: number) =>
    Float32Array.from({ length: 256 }, (_, v) =>
      mean && std ? (v * scale - (mean[channel] as number)) / (std[channel] as number) : v * scale,
    );
  return [table(0), table(1), table(2)];
};

/** transformers' CLIPImageProcessor: preprocessor_config.json of the transformers.js layout. */
export function imagePlan(json: unknown): ImagePlan {
  const c = preprocessorConfigSchema.parse(json);
  const size = c.size;
  const scale = c.do_rescale ? c.rescale_factor : 1;
  return {
    resize: !c.do_resize
      ? null
      : 'shortest_edge' in size
        ? { shortestEdge: size.shortest_edge }
        : { width: size.width, height: size.height },
    kernel: kernels[c.resample],
    crop: c.do_center_crop ? { width: c.crop_size.width, height: c.crop_size.height } : null,
    cropRounding: 'floor',
    lookup: c.do_normalize ? lookupTables(scale, c.image_mean, c.image_std) : lookupTables(scale),
  };
}

/** open_clip's PreprocessCfg as immich writes it to visual/preprocess_cfg.json (keys it does not use are ignored). */
export const preprocessCfgSchema = z.object({
  // An int, or [height, width].
  size: z.union([side.transform((n) => [n, n] as const), z.tuple([side, side])]),
  mean: triple,
  std: triple,
  interpolation: z.enum(['bicubic', 'bilinear']).default('bicubic'),
  // "shortest": resize the shortest side, then centre crop; "squash": resize to the size, ignoring the aspect ratio.
  // ("longest", resize and pad, is open_clip's third mode; no published model we know of uses it.)
  resize_mode: z.enum(['shortest', 'squash']).default('shortest'),
});

/** open_clip's eval transform: Resize (+ CenterCrop), ToTensor, Normalize(mean, std). */
export function openClipImagePlan(json: unknown): ImagePlan {
  const c = preprocessCfgSchema.parse(json);
  const [height, width] = c.size;
  const square = height === width;
  if (c.resize_mode === 'shortest' && !square) {
    // open_clip then resizes with ResizeKeepRatio, a different rule; refuse rather than approximate it.
    throw new Error(`size [${height}, ${width}]: resize_mode "shortest" is supported for square sizes only`);
  }
  return {
    resize: c.resize_mode === 'shortest' ? { shortestEdge: height } : { width, height },
    kernel: c.interpolation === 'bicubic' ? 'cubic' : 'linear',
    crop: c.resize_mode === 'shortest' ? { width, height } : null,
    cropRounding: 'half-even',
    lookup: lookupTables(1 / 255, c.mean, c.std),
  };
}
