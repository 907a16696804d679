import { graphFile, type Precision } from './folder.js';
import type { HubFile } from './hub.js';

/** The default CLIP: the transformers.js export of openai/clip-vit-base-patch32. */
export const defaultClipRepo = 'Xenova/clip-vit-base-patch32';

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
