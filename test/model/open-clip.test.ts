// open_clip-layout models (immich's exports) against open_clip itself: one tiny model per family
// (scripts/export-onnx.py --open-clip FAMILY), images decoded as the CLIP fixtures are, texts of texts.json.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelParts } from '../../src/model/parts.js';
import type { TextTokenizer } from '../../src/model/tokenize.js';
import type { Embedder, EmbedOutcome } from '../../src/model/types.js';
import { InputError } from '../../src/util/errors.js';
import { copyModel, cosine, fixtures, tempFolder, tinyEmbedder } from './helpers/fixtures.js';

interface OpenClipExpected {
  reference_pad_id: number;
  images: { file: string; error?: string; embedding?: number[] }[];
  texts: { id: string; text: string; input_ids: number[]; embedding: number[] }[];
}

export const openClipDir = (family: string) => path.join(fixtures, 'open-clip', family);

describe.each([
  { family: 'clip', what: 'CLIP ViT: BPE, lower-case cleaning, argmax pooling, shortest side + centre crop' },
  { family: 'siglip2', what: 'SigLIP 2: byte-fallback BPE, canonicalised text, last-token pooling, squash' },
  {
    family: 'xlmr',
    what: 'XLM-R text tower (M-CLIP inputs): SentencePiece Unigram, mean pooling over the mask',
  },
])('open_clip $family ($what)', ({ family }) => {
  const dir = openClipDir(family);
  let expected: OpenClipExpected;
  let embedder: Embedder;
  let tokenizer: TextTokenizer;
  let images: EmbedOutcome[];
  let texts: EmbedOutcome[];

  beforeAll(async () => {
    expected = JSON.parse(await readFile(path.join(dir, 'expected.json'), 'utf8')) as OpenClipExpected;
    embedder = await tinyEmbedder({ modelDir: dir });
    tokenizer = (await openModelParts(dir, undefined, 'fp32')).text.tokenizer;
    images = await embedder.embedImages(
      expected.images.map((i) => ({ name: i.file, path: path.join(fixtures, i.file) })),
    );
    texts = await embedder.embedTexts(expected.texts.map((t) => t.text));
  });
  afterAll(() => embedder?.close());

  it('embeds every image open_clip embedded, cosine >= 0.99, and refuses the ones it could not read', () => {
    const cosines = expected.images.flatMap((image, i) => {
      const outcome = images[i];
      if (image.error) {
        expect(outcome, image.file).toBeInstanceOf(InputError);
        return [];
      }
      expect(outcome, image.file).toBeInstanceOf(Float32Array);
      return [{ file: image.file, cos: cosine(outcome as Float32Array, image.embedding as number[]) }];
    });
    expect(cosines.length).toBeGreaterThanOrEqual(16);
    const worst = cosines.reduce((a, b) => (b.cos < a.cos ? b : a));
    console.log(`${family} image cosine vs open_clip: min ${worst.cos.toFixed(6)} (${worst.file})`);
    for (const { file, cos } of cosines) expect(cos, file).toBeGreaterThanOrEqual(0.99);
  });

  it("produces open_clip's token ids (up to its padding)", () => {
    for (const text of expected.texts) {
      const reference = [...text.input_ids];
      while (reference.length > 0 && reference.at(-1) === expected.reference_pad_id) reference.pop();
      // XLM-R's pad id closes nothing, but CLIP's pad 0 is also the id of "!": compare what the reference kept.
      expect(tokenizer.ids(text.text).slice(0, reference.length), text.id).toEqual(reference);
    }
  });

  it('embeds every text like open_clip, cosine >= 0.9999', () => {
    const cosines = expected.texts.map((t, i) => ({
      id: t.id,
      cos: cosine(texts[i] as Float32Array, t.embedding),
    }));
    const worst = cosines.reduce((a, b) => (b.cos < a.cos ? b : a));
    console.log(`${family} text cosine vs open_clip: min ${worst.cos.toFixed(7)} (${worst.id})`);
    for (const { id, cos } of cosines) expect(cos, id).toBeGreaterThanOrEqual(0.9999);
  });

  it('returns unit vectors of the size config.json states', async () => {
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { embed_dim: number };
    expect(embedder.dims).toBe(config.embed_dim);
    for (const v of [...images, ...texts].filter((o) => o instanceof Float32Array)) {
      expect(v).toHaveLength(embedder.dims);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
  });
});

describe('open_clip folders that are wrong: a clear error naming the file and key', () => {
  let temp: Awaited<ReturnType<typeof tempFolder>>;
  beforeAll(async () => {
    temp = await tempFolder();
  });
  afterAll(() => temp.remove());

  const broken = async (name: string, family: string, edit: (dir: string) => Promise<void>) => {
    const dir = await copyModel(openClipDir(family), temp.dir, name);
    await edit(dir);
    return dir;
  };
  type Config = { embed_dim?: number; text_cfg?: { vocab_size?: number }; resize_mode?: string };
  const editJson = async (file: string, edit: (json: Config) => void) => {
    const json = JSON.parse(await readFile(file, 'utf8'));
    edit(json);
    await writeFile(file, JSON.stringify(json));
  };

  it.each([
    {
      what: 'a missing graph',
      edit: (dir: string) => rm(path.join(dir, 'textual/model.onnx')),
      error: 'textual/model.onnx: missing',
    },
    {
      what: 'a missing preprocess_cfg.json',
      edit: (dir: string) => rm(path.join(dir, 'visual/preprocess_cfg.json')),
      error: 'visual/preprocess_cfg.json: missing',
    },
    {
      what: 'an unknown resize_mode',
      edit: (dir: string) =>
        editJson(path.join(dir, 'visual/preprocess_cfg.json'), (j) => (j.resize_mode = 'longest')),
      error: 'visual/preprocess_cfg.json: resize_mode: Invalid option',
    },
    {
      what: 'a tokenizer larger than the graph vocabulary',
      edit: (dir: string) =>
        editJson(path.join(dir, 'config.json'), (j) => (j.text_cfg = { ...j.text_cfg, vocab_size: 100 })),
      error: 'textual/tokenizer.json: 1000 tokens, but',
    },
    {
      what: 'towers that disagree on the embedding size',
      edit: (dir: string) => editJson(path.join(dir, 'config.json'), (j) => (j.embed_dim = 32)),
      error: 'config.json embed_dim is 32',
    },
    {
      what: 'a config.json without text_cfg',
      edit: (dir: string) => editJson(path.join(dir, 'config.json'), (j) => delete j.text_cfg),
      error: 'config.json: text_cfg:',
    },
  ])('$what', async ({ what, edit, error }) => {
    const dir = await broken(what.replace(/\W+/g, '-'), 'siglip2', edit);
    await expect(tinyEmbedder({ modelDir: dir })).rejects.toThrow(error);
  });

  it('a folder in neither layout lists what each needs', async () => {
    const dir = await broken('empty', 'clip', async (d) => {
      await rm(path.join(d, 'visual'), { recursive: true });
      await rm(path.join(d, 'textual'), { recursive: true });
    });
    await expect(tinyEmbedder({ modelDir: dir })).rejects.toThrow(
      /visual\/model\.onnx \+ textual\/model\.onnx/,
    );
  });
});
