/**
 * The models of the catalog (src/model/catalog.ts) that LOOKALIKE_MODEL chooses from. The names live here
 * because the configuration is validated before, and below, any model code; the catalog gives each name
 * its files and figures, and a test keeps the two in step.
 */
export const modelNames = [
  'openai-vit-b32',
  'laion2b-vit-b32',
  'siglip2-vit-b16',
  'xlmr-vit-b32',
  'openai-vit-b32-multilingual',
] as const;

export type ModelName = (typeof modelNames)[number];

export const defaultModelName: ModelName = 'laion2b-vit-b32';
