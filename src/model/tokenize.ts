import { Tokenizer } from '@huggingface/tokenizers';
import { ServiceError } from '../util/errors.js';
import { intAt, type ModelFolder } from './folder.js';

/** A batch of token ids, right-padded to its longest row, ready for int64 tensors. */
export interface TokenBatch {
  ids: BigInt64Array;
  mask: BigInt64Array;
  rows: number;
  length: number;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const tokenText = (value: unknown) =>
  typeof value === 'string' ? value : (value as { content?: unknown } | undefined)?.content;

/**
 * The model's tokenizer.json with the reference's truncation and padding (the JS library does neither).
 * User text never produces special tokens: a literal `<|endoftext|>` (CLIP) or `[SEP]` (BERT) would end or split
 * the query inside the model, so every special token's text is replaced by a space before encoding.
 */
export class TextTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly specials: RegExp | null,
    /** Longest id sequence the model takes, end token included. */
    readonly maxLength: number,
    readonly padId: number,
  ) {}

  static fromFolder(folder: ModelFolder): TextTokenizer {
    const file = `${folder.dir}/tokenizer.json`;
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(folder.tokenizer, folder.tokenizerConfig);
    } catch (error) {
      throw new ServiceError('model', `${file}: not a usable tokenizer (${(error as Error).message})`);
    }
    const added = (folder.tokenizer.added_tokens ?? []) as { content: string; special?: boolean }[];
    const specialTexts = added.filter((t) => t.special).map((t) => t.content);
    const specials =
      specialTexts.length > 0 ? new RegExp(specialTexts.map(escapeRegExp).join('|'), 'g') : null;

    // The model's context: CLIP's text_config.max_position_embeddings (77); for a sentence-transformers export
    // the (shorter) max_seq_length / model_max_length it was trained with.
    const limits = [
      intAt(folder.config, 'max_position_embeddings', 'text_config'),
      intAt(folder.config, 'max_position_embeddings'),
      intAt(folder.config, 'max_seq_length'),
      intAt(folder.tokenizerConfig, 'model_max_length'),
    ].filter((n): n is number => n !== undefined && n < 1_000_000);
    if (limits.length === 0) {
      throw new ServiceError(
        'model',
        `${folder.dir}/config.json: no max_position_embeddings (the text context length)`,
      );
    }

    const padText =
      tokenText(folder.tokenizerConfig.pad_token) ?? tokenText(folder.specialTokens.pad_token) ?? undefined;
    const padId =
      (typeof padText === 'string' ? tokenizer.token_to_id(padText) : undefined) ??
      intAt((folder.tokenizer.padding ?? {}) as Record<string, unknown>, 'pad_id') ??
      0;
    return new TextTokenizer(tokenizer, specials, Math.min(...limits), padId);
  }

  /** Ids as the reference tokenizer gives them (start and end tokens, truncated keeping the end token). */
  ids(text: string): number[] {
    const plain = this.specials ? text.replace(this.specials, ' ') : text;
    const ids = this.tokenizer.encode(plain).ids;
    if (ids.length <= this.maxLength) return ids;
    return [...ids.slice(0, this.maxLength - 1), ids[ids.length - 1] as number];
  }

  batch(texts: string[]): TokenBatch {
    const rows = texts.map((t) => this.ids(t));
    const length = Math.max(1, ...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * length).fill(BigInt(this.padId));
    const mask = new BigInt64Array(rows.length * length);
    rows.forEach((row, r) =>
      row.forEach((id, i) => {
        ids[r * length + i] = BigInt(id);
        mask[r * length + i] = 1n;
      }),
    );
    return { ids, mask, rows: rows.length, length };
  }
}
