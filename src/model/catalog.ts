import path from 'node:path';
import type { ModelName } from '../config/model-names.js';
import { InputError } from '../util/errors.js';
import { graphFile, type Precision } from './folder.js';
import type { HubFile } from './hub.js';
import type { Layout } from './parts.js';

/** A published retrieval figure and where it comes from. */
export interface Recall {
  /** Crossmodal-3600 text-to-image recall, English, mean of R@1/5/10, in percent. */
  value: number;
  source: string;
}

/** A model lookalike knows by name: where to fetch it, what it makes, how good it is said to be. */
export interface CatalogModel {
  name: ModelName;
  summary: string;
  layout: Layout;
  /** Hub repository of the model folder. */
  repo: string;
  /** Folder name under `<cache>/models` (also the index's model id, with the precision). */
  folder: string;
  dims: number;
  languages: string;
  /**
   * Cosine between a query and an image below which a hit is a weak match, for a relevance cut. A starting
   * point from the model's score scale (CLIP softmax models sit higher than sigmoid SigLIP), to be calibrated.
   */
  lowConfidence: number;
  recall?: Recall;
  /**
   * A text encoder that replaces the model's own text tower (the seed's pairing). It is exported, not fetched:
   * the hub has no ONNX export of it in our layout.
   */
  textEncoder?: { folder: string; export: string };
  /**
   * Approximate fp32 download, bytes: the graphs of our export of the same architecture (random weights, same
   * size) plus the tokenizer files (CLIP's 1.5 MB; Gemma's and XLM-R's real ones estimated at 33 and 17 MB).
   */
  approxBytes: number;
}

// Figures quoted in issue #13 from immich's CLIP model table; not re-measured here (no evaluation data offline).
const immichTable = "immich's CLIP model table (Crossmodal-3600), as quoted in issue #13";

const openAi = {
  layout: 'transformers',
  repo: 'Xenova/clip-vit-base-patch32',
  folder: 'clip-vit-base-patch32',
  dims: 512,
  lowConfidence: 0.2,
  approxBytes: 609e6,
} as const;

export const catalog: readonly CatalogModel[] = [
  {
    ...openAi,
    name: 'openai-vit-b32',
    summary: "OpenAI's CLIP ViT-B/32 (the seed's model); fp16 and int8 graphs beside fp32",
    languages: 'English',
    recall: { value: 59.4, source: immichTable },
  },
  {
    name: 'laion2b-vit-b32',
    summary: 'open_clip ViT-B-32 trained on LAION-2B: the same network as OpenAI ViT-B/32, better weights',
    layout: 'open_clip',
    repo: 'immich-app/ViT-B-32__laion2b_s34b_b79k',
    folder: 'ViT-B-32__laion2b_s34b_b79k',
    dims: 512,
    approxBytes: 609e6,
    languages: 'English',
    lowConfidence: 0.2,
    recall: { value: 68.8, source: immichTable },
  },
  {
    name: 'siglip2-vit-b16',
    summary: "Google's SigLIP 2 ViT-B/16 at 224 px (Gemma tokenizer, 256k vocabulary); 4x the image compute",
    layout: 'open_clip',
    repo: 'immich-app/ViT-B-16-SigLIP2__webli',
    folder: 'ViT-B-16-SigLIP2__webli',
    dims: 768,
    approxBytes: 1536e6,
    languages: 'English (multilingual training data)',
    lowConfidence: 0.1,
    recall: { value: 75.2, source: immichTable },
  },
  {
    name: 'xlmr-vit-b32',
    summary:
      'open_clip XLM-RoBERTa-base text tower with ViT-B/32 trained on LAION-5B: one model, 100 languages',
    layout: 'open_clip',
    repo: 'immich-app/XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k',
    folder: 'XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k',
    dims: 512,
    approxBytes: 1484e6,
    languages: '100 languages (XLM-R)',
    lowConfidence: 0.2,
  },
  {
    ...openAi,
    name: 'openai-vit-b32-multilingual',
    summary:
      "The seed's pairing: OpenAI ViT-B/32 images, clip-ViT-B-32-multilingual-v1 texts (50+ languages)",
    languages: '50+ languages (multilingual DistilBERT)',
    textEncoder: {
      folder: 'clip-ViT-B-32-multilingual-v1',
      export:
        'python scripts/export-onnx.py --multilingual sentence-transformers/clip-ViT-B-32-multilingual-v1 --quantize --out',
    },
  },
];

/**
 * The model new installs get: the same network as OpenAI's ViT-B/32 (same compute, memory and dims), trained on
 * LAION-2B, with the better published recall (68.8 against 59.4). bench/models.md compares the catalog here.
 */
export { defaultModelName } from '../config/model-names.js';

export const catalogNames = catalog.map((m) => m.name);

export function catalogModel(name: string): CatalogModel {
  const model = catalog.find((m) => m.name === name);
  if (!model) throw new InputError(name, `unknown model (known: ${catalogNames.join(', ')})`);
  return model;
}

const tokenizerFiles: HubFile[] = [
  { path: 'config.json' },
  { path: 'tokenizer.json' },
  { path: 'tokenizer_config.json', optional: true },
  { path: 'special_tokens_map.json', optional: true },
];

/** What a CLIP folder needs at these precisions: both towers, the preprocessor and the tokenizer. */
export const clipFiles = (precisions: Precision[]): HubFile[] => [
  ...tokenizerFiles,
  { path: 'preprocessor_config.json' },
  ...precisions.flatMap((p) => [
    { path: graphFile('vision_model', p) },
    { path: graphFile('text_model', p) },
  ]),
];

/** What a separate text encoder folder needs (the layout scripts/export-onnx.py --multilingual writes). */
export const textModelFiles = (precisions: Precision[]): HubFile[] => [
  ...tokenizerFiles,
  ...precisions.map((p) => ({ path: graphFile('text_model', p) })),
];

/** What an open_clip-layout folder needs (immich publishes fp32 graphs only). */
export const openClipFiles: HubFile[] = [
  { path: 'config.json' },
  { path: 'visual/model.onnx' },
  { path: 'visual/preprocess_cfg.json' },
  { path: 'textual/model.onnx' },
  { path: 'textual/tokenizer.json' },
  { path: 'textual/tokenizer_config.json' },
  { path: 'textual/special_tokens_map.json', optional: true },
];

/** The files of a catalog model at these precisions. */
export const catalogFiles = (model: CatalogModel, precisions: Precision[]): HubFile[] =>
  model.layout === 'open_clip' ? openClipFiles : clipFiles(precisions);

/** Where a catalog model (and its separate text encoder) lives in the cache. */
export const catalogDirs = (model: CatalogModel, cacheDir: string) => ({
  dir: path.join(cacheDir, 'models', model.folder),
  ...(model.textEncoder && { textDir: path.join(cacheDir, 'models', model.textEncoder.folder) }),
});
