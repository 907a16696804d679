import { access } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { problem, readJson, type Precision } from './folder.js';
import { openClipImagePlan } from './image-config.js';
import type { ModelParts } from './parts.js';
import { textCleans, type TextClean } from './text-clean.js';
import { TextTokenizer } from './tokenize.js';

/** The keys of open_clip's model config (config.json) that matter here; the rest describes the architecture. */
const configSchema = z.object({
  embed_dim: z.number().int().positive().optional(),
  text_cfg: z.object({
    context_length: z.number().int().positive().default(77),
    vocab_size: z.number().int().positive().optional(),
    hf_tokenizer_name: z.string().optional(),
    tokenizer_kwargs: z
      .object({ clean: z.enum(textCleans as [TextClean, ...TextClean[]]).optional() })
      .optional(),
  }),
});

/** Reads a config through `read`; a refusal names the file and, for schema errors, the key. */
function parsed<T>(file: string, read: (json: unknown) => T, json: unknown): T {
  try {
    return read(json);
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw problem(file, (error as Error).message);
    const issue = error.issues[0];
    throw problem(file, `${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`);
  }
}

async function graphFile(file: string): Promise<string> {
  try {
    await access(file);
  } catch {
    throw problem(file, 'missing');
  }
  return file;
}

/** Why a precision other than fp32 cannot be had from an open_clip-layout folder, and where to get one. */
export const fp32Only = (precision: string) =>
  `open_clip-layout folders hold fp32 graphs only (immich publishes no others); for LOOKALIKE_PRECISION=${precision} ` +
  'use a transformers.js-layout model with those graphs, such as LOOKALIKE_MODEL=openai-vit-b32';

/**
 * A folder in open_clip's layout as immich publishes it: config.json (the open_clip model config),
 * visual/model.onnx + visual/preprocess_cfg.json, textual/model.onnx + textual/tokenizer.json (+ its config
 * files). Text cleaning, context length and padding follow open_clip's tokenizers for the model.
 */
export async function openClipParts(dir: string, precision: Precision): Promise<ModelParts> {
  const at = (file: string) => path.join(dir, file);
  if (precision !== 'fp32') throw problem(dir, fp32Only(precision));
  const configFile = at('config.json');
  const config = parsed(configFile, (json) => configSchema.parse(json), await readJson(configFile, true));
  const planFile = at('visual/preprocess_cfg.json');
  const plan = parsed(planFile, openClipImagePlan, await readJson(planFile, true));
  const text = config.text_cfg;
  // open_clip's own CLIP tokenizer lower-cases; its Hugging Face tokenizers keep case (tokenizer.py defaults).
  const huggingFace = text.hf_tokenizer_name !== undefined;
  const tokenizerFile = at('textual/tokenizer.json');
  const [tokenizer, tokenizerConfig, specialTokens] = await Promise.all([
    readJson(tokenizerFile, true),
    readJson(at('textual/tokenizer_config.json'), false),
    readJson(at('textual/special_tokens_map.json'), false),
  ]);
  return {
    layout: 'open_clip',
    id: `${path.basename(path.resolve(dir))}@${precision}`,
    vision: {
      graph: await graphFile(at('visual/model.onnx')),
      spec: { required: ['image'] },
      input: 'image',
      plan,
      planFile,
    },
    text: {
      graph: await graphFile(at('textual/model.onnx')),
      // `text` (open_clip's own towers), or input_ids + attention_mask (M-CLIP); checked once loaded.
      spec: { required: [], optional: ['text', 'input_ids', 'attention_mask'] },
      tokenizer: TextTokenizer.create({
        file: tokenizerFile,
        tokenizer,
        tokenizerConfig,
        specialTokens,
        maxLength: text.context_length,
        clean: text.tokenizer_kwargs?.clean ?? (huggingFace ? 'whitespace' : 'lower'),
        // open_clip's CLIP tokenizer reads "<|endoftext|>" typed by a user as text; its HF tokenizers would not.
        specials: huggingFace ? 'strip' : 'plain',
      }),
      ...(text.vocab_size !== undefined && {
        vocab: { value: text.vocab_size, where: `${configFile} text_cfg.vocab_size` },
      }),
    },
    ...(config.embed_dim !== undefined && {
      dims: { value: config.embed_dim, where: `${configFile} embed_dim` },
    }),
  };
}
