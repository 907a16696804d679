// Texts against the reference tokenizers and encoders (expected.json of the CLIP and multilingual fixtures).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelFolder } from '../../src/model/folder.js';
import { TextTokenizer } from '../../src/model/tokenize.js';
import type { Embedder, EmbedOutcome } from '../../src/model/types.js';
import { InputError } from '../../src/util/errors.js';
import {
  clipDir,
  cosine,
  multilingualDir,
  readExpected,
  tinyEmbedder,
  type Expected,
} from './helpers/fixtures.js';

const specialId = 'special-token';

describe.each([
  { name: 'CLIP', dir: clipDir, textModelDir: undefined },
  { name: 'multilingual', dir: multilingualDir, textModelDir: multilingualDir },
])('$name text encoder', ({ dir, textModelDir }) => {
  let expected: Expected;
  let tokenizer: TextTokenizer;
  let embedder: Embedder;
  let vectors: EmbedOutcome[];

  beforeAll(async () => {
    expected = await readExpected(dir);
    tokenizer = TextTokenizer.fromFolder(await openModelFolder(dir, 'fp32'));
    embedder = await tinyEmbedder({ textModelDir });
    vectors = await embedder.embedTexts(expected.texts.map((t) => t.text));
  });
  afterAll(() => embedder.close());

  it('produces the reference token ids, truncated to the context keeping the end token', () => {
    expect(tokenizer.maxLength).toBe(expected.tokenizer.max_length);
    expect(tokenizer.padId).toBe(expected.tokenizer.pad_token_id);
    for (const text of expected.texts) {
      const ids = tokenizer.ids(text.text);
      const special = tokenizer.ids('').at(-1) as number;
      // A literal special token in user text is plain text to us (stripped), not the model's end token.
      const reference =
        text.id === specialId
          ? text.input_ids.filter((id, i, all) => id !== special || i === all.length - 1)
          : text.input_ids;
      expect(ids, text.id).toEqual(reference);
      if (text.truncated) expect(ids).toHaveLength(expected.tokenizer.max_length);
    }
  });

  it('embeds every text like the reference, cosine >= 0.9999', () => {
    const cosines = expected.texts
      .filter((t) => !(t.id === specialId && tokenizer.ids(t.text).length !== t.input_ids.length))
      .map((t) => ({
        id: t.id,
        cos: cosine(vectors[expected.texts.indexOf(t)] as Float32Array, t.embedding),
      }));
    const worst = cosines.reduce((a, b) => (b.cos < a.cos ? b : a));
    console.log(
      `text cosine vs reference: min ${worst.cos.toFixed(7)} (${worst.id}) over ${cosines.length} texts`,
    );
    for (const { id, cos } of cosines) expect(cos, id).toBeGreaterThanOrEqual(0.9999);
  });

  it('gives the same vector alone as padded in a batch', async () => {
    const texts = ['a cat', expected.texts.find((t) => t.truncated)?.text as string, ''];
    const together = await embedder.embedTexts(texts);
    for (const [k, text] of texts.entries()) {
      const [alone] = await embedder.embedTexts([text]);
      expect(cosine(alone as Float32Array, together[k] as Float32Array)).toBeGreaterThan(0.999999);
    }
  });

  it('returns unit vectors of the model size', () => {
    for (const v of vectors as Float32Array[]) {
      expect(v).toHaveLength(embedder.dims);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
  });
});

describe('user text and special tokens', () => {
  it('treats a typed <|endoftext|> as text, so the words after it still count', async () => {
    const embedder = await tinyEmbedder();
    try {
      const [typed, plain, cut] = (await embedder.embedTexts([
        'a red flower <|endoftext|> a blue car',
        'a red flower a blue car',
        'a red flower',
      ])) as Float32Array[];
      expect(cosine(typed as Float32Array, plain as Float32Array)).toBeGreaterThan(0.999999);
      // The reference stops at the typed token: its vector is the one of the first words only.
      const reference = (await readExpected(clipDir)).texts.find((t) => t.id === specialId)
        ?.embedding as number[];
      expect(cosine(cut as Float32Array, reference)).toBeGreaterThan(0.9999);
      expect(cosine(typed as Float32Array, reference)).toBeLessThan(0.99);
    } finally {
      await embedder.close();
    }
  });

  it('refuses an absurdly long query with an InputError and still embeds the others', async () => {
    const embedder = await tinyEmbedder();
    try {
      const [long, ok] = await embedder.embedTexts(['word '.repeat(5000), 'a cat']);
      expect((long as InputError).reason).toMatch(/too long: 25000 characters/);
      expect(ok).toBeInstanceOf(Float32Array);
    } finally {
      await embedder.close();
    }
  });
});
