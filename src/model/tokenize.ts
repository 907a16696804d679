import { Tokenizer } from '@huggingface/tokenizers';
import { ServiceError } from '../util/errors.js';
import { intAt, type Json, type ModelFolder } from './folder.js';
import { cleanText, type TextClean } from './text-clean.js';

/** Rows of token ids, right-padded to one length, with their attention masks. */
export interface TokenBatch {
  ids: number[];
  mask: number[];
  rows: number;
  length: number;
}

/** A tokenizer's files (tokenizer.json and its two companions) and how the model wants them used. */
export interface TokenizerSource {
  /** tokenizer.json's path, for messages. */
  file: string;
  tokenizer: Json;
  tokenizerConfig: Json;
  specialTokens: Json;
  /** Longest id sequence the model takes, start and end tokens included. */
  maxLength: number;
  clean: TextClean;
  /**
   * What a special token's text typed by a user becomes: `strip` replaces it by a space (Hugging Face tokenizers
   * would turn it into the special id, which ends or splits the query inside the model); `plain` reads it as
   * ordinary text, as open_clip's own CLIP tokenizer does.
   */
  specials: 'strip' | 'plain';
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const tokenText = (value: unknown) =>
  typeof value === 'string' ? value : (value as { content?: unknown } | undefined)?.content;
type AddedToken = { id: number; content: string; special?: boolean };

/** Size of the vocabulary a tokenizer.json can produce: its model's table and its added tokens. */
export function vocabularySize(json: Json): number {
  const model = (json.model ?? {}) as { vocab?: unknown };
  const table = Array.isArray(model.vocab)
    ? model.vocab.length
    : Math.max(-1, ...Object.values((model.vocab ?? {}) as Record<string, number>)) + 1;
  const added = ((json.added_tokens ?? []) as AddedToken[]).map((t) => t.id + 1);
  return Math.max(table, ...added);
}

/**
 * The model's tokenizer.json with the reference's cleaning, truncation and padding (the JS library does none of
 * these). Truncation keeps the template's closing special tokens (CLIP's end token, XLM-R's </s>, SigLIP's <eos>).
 */
export class TextTokenizer {
  private constructor(
    /** tokenizer.json's path, for messages. */
    readonly file: string,
    /** How many distinct ids it can produce. */
    readonly vocabulary: number,
    private readonly tokenizer: Tokenizer,
    private readonly specials: RegExp | null,
    private readonly clean: TextClean,
    /** How many ids the template puts after the text. */
    private readonly suffix: number,
    readonly maxLength: number,
    readonly padId: number,
  ) {}

  /** A transformers.js-layout folder: the context comes from config.json (or the tokenizer's model_max_length). */
  static fromFolder(folder: ModelFolder): TextTokenizer {
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
    return TextTokenizer.create({
      file: `${folder.dir}/tokenizer.json`,
      tokenizer: folder.tokenizer,
      tokenizerConfig: folder.tokenizerConfig,
      specialTokens: folder.specialTokens,
      maxLength: Math.min(...limits),
      clean: 'none',
      specials: 'strip',
    });
  }

  static create(source: TokenizerSource): TextTokenizer {
    const added = (source.tokenizer.added_tokens ?? []) as AddedToken[];
    const specialTexts = added.filter((t) => t.special).map((t) => t.content);
    // `plain`: without the special added tokens the library never matches their text; the template still finds
    // its special tokens in the model's own vocabulary.
    const json =
      source.specials === 'plain'
        ? { ...source.tokenizer, added_tokens: added.filter((t) => !t.special) }
        : source.tokenizer;
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, source.tokenizerConfig);
    } catch (error) {
      throw new ServiceError('model', `${source.file}: not a usable tokenizer (${(error as Error).message})`);
    }
    const specials =
      source.specials === 'strip' && specialTexts.length > 0
        ? new RegExp(specialTexts.map(escapeRegExp).join('|'), 'g')
        : null;
    const padText =
      tokenText(source.tokenizerConfig.pad_token) ?? tokenText(source.specialTokens.pad_token) ?? undefined;
    const padId =
      (typeof padText === 'string' ? tokenizer.token_to_id(padText) : undefined) ??
      intAt((source.tokenizer.padding ?? {}) as Json, 'pad_id') ??
      0;
    // Where the text sits in the template: the ids after it are kept when truncating.
    const probe = 'a';
    const full: number[] = tokenizer.encode(probe).ids;
    const bare: number[] = tokenizer.encode(probe, { add_special_tokens: false }).ids;
    const start = full.findIndex((_, i) => bare.every((id, k) => full[i + k] === id));
    const suffix = start < 0 ? 0 : full.length - start - bare.length;
    return new TextTokenizer(
      source.file,
      vocabularySize(source.tokenizer),
      tokenizer,
      specials,
      source.clean,
      suffix,
      source.maxLength,
      padId,
    );
  }

  /** Ids as the reference tokenizer gives them (start and end tokens, truncated keeping the end tokens). */
  ids(text: string): number[] {
    const cleaned = cleanText(text, this.clean);
    const plain = this.specials ? cleaned.replace(this.specials, ' ') : cleaned;
    const ids = this.tokenizer.encode(plain).ids;
    if (ids.length <= this.maxLength) return ids;
    const keep = this.maxLength - this.suffix;
    return [...ids.slice(0, keep), ...ids.slice(ids.length - this.suffix)];
  }

  /** Right-padded with the pad id to the longest row, or to `length` when the graph takes a fixed length. */
  batch(texts: string[], length?: number): TokenBatch {
    const rows = texts.map((t) => this.ids(t));
    const width = length ?? Math.max(1, ...rows.map((r) => r.length));
    const ids = new Array<number>(rows.length * width).fill(this.padId);
    const mask = new Array<number>(rows.length * width).fill(0);
    rows.forEach((row, r) =>
      row.forEach((id, i) => {
        ids[r * width + i] = id;
        mask[r * width + i] = 1;
      }),
    );
    return { ids, mask, rows: rows.length, length: width };
  }
}
