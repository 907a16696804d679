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

/** What to do to every image, resolved once from the model's preprocessor_config.json. */
export interface ImagePlan {
  resize: { shortestEdge: number } | { width: number; height: number } | null;
  kernel: Kernel;
  crop: { width: number; height: number } | null;
  /** Per channel: value (0..255) -> model input, i.e. (v * rescale - mean) / std folded into one table. */
  lookup: [Float32Array, Float32Array, Float32Array];
}

export function imagePlan(json: unknown): ImagePlan {
  const c = preprocessorConfigSchema.parse(json);
  const size = c.size;
  const scale = c.do_rescale ? c.rescale_factor : 1;
  const table = (channel: number) =>
    Float32Array.from({ length: 256 }, (_, v) =>
      c.do_normalize
        ? (v * scale - (c.image_mean[channel] as number)) / (c.image_std[channel] as number)
        : v * scale,
    );
  return {
    resize: !c.do_resize
      ? null
      : 'shortest_edge' in size
        ? { shortestEdge: size.shortest_edge }
        : { width: size.width, height: size.height },
    kernel: kernels[c.resample],
    crop: c.do_center_crop ? { width: c.crop_size.width, height: c.crop_size.height } : null,
    lookup: [table(0), table(1), table(2)],
  };
}
