import type { Embedder, ImageInput } from '../model/types.js';
import { modelMismatch } from '../store/model-stamp.js';
import type { DocFilter, Hit, IndexSpec, TenantScope, VectorStore } from '../store/types.js';
import { InputError, refusal } from '../util/errors.js';
import { dot } from './combine.js';
import { fuseRanks } from './fusion.js';
import { foldNearCopies } from './near-copies.js';
import { relevanceCut } from './relevance.js';
import { TextBatcher, type TextBatcherOptions } from './text-batcher.js';
import type { FindText } from './text-query.js';

/** A hit with the near-copies folded under it (best first). */
export interface ShapedHit extends Hit {
  nearCopies: Hit[];
}

export interface SearchPage {
  hits: ShapedHit[];
  /** True when at least one more hit exists after this page. */
  hasMore: boolean;
  /** Hits the relevance cut left out of the whole answer (0 with `all`). */
  cut: number;
  /** Even the best hit is weak for this model. */
  lowConfidence: boolean;
}

/** How an answer is narrowed and ordered (the query language's filters, sort: and all:). */
export interface SearchShape {
  filter?: DocFilter;
  sort: 'relevance' | 'date';
  /** Every candidate: no relevance cut and no folding of near-copies. */
  all: boolean;
}

export interface AnswerSettings {
  /** A hit at least this close (cosine) to a better one in the same answer is folded under it. */
  nearCopyCosine: number;
  /** The model's weak-match level (its catalog entry); undefined for a model folder the catalog does not know. */
  lowConfidence?: number;
}

/** What callers that shape nothing get: every candidate, in relevance order, as before shaping existed. */
const unshaped: SearchShape = { sort: 'relevance', all: true };

/** Deepest result a search pages to: `more` stops here (the store ranks offset + count per page). */
export const maxResultDepth = 100;

/** Text matches and vector hits are fused over at least this many of each. */
const fusionDepth = 50;
/**
 * A text match counts twice a CLIP rank: it means most of the query's words are written in the image, which
 * CLIP's similarity cannot tell; so the images that say the words come first, in text order unless CLIP also
 * likes one of them, and the CLIP ranking follows. (Equal weights let the top CLIP hit tie with the image that
 * says the words.) bench/ocr.md measures both.
 */
const textWeight = 2;

/** A text match's score against the best one's (findText returns the best first). */
const relativeTo = (best: number) => (hit: Hit) => (best > 0 ? Math.min(1, hit.score / best) : 1);

/** Newest first; hits without a date keep their relevance order after the dated ones. */
function byDate(hits: ShapedHit[]): ShapedHit[] {
  return hits
    .map((hit, rank) => ({ hit, rank }))
    .sort((a, b) => (b.hit.date ?? -Infinity) - (a.hit.date ?? -Infinity) || a.rank - b.rank)
    .map(({ hit }) => hit);
}

/** Text and image queries to vectors, vectors to ranked hits; every search is scoped by the caller. */
export class SearchService {
  private readonly batcher: TextBatcher;

  constructor(
    private readonly embedder: Embedder,
    private readonly store: VectorStore,
    batching: TextBatcherOptions = { windowMs: 0, maxBatch: 16 },
    private readonly answerSettings: AnswerSettings = { nearCopyCosine: 0.97 },
  ) {
    this.batcher = new TextBatcher(embedder, batching);
  }

  /** Concurrent calls share one model run (micro-batching). */
  async textVector(text: string): Promise<Float32Array> {
    if (text.trim() === '') throw refusal('text', 'Say what to look for, e.g. “snowy mountain”.');
    return this.batcher.embed(text);
  }

  async imageVector(input: ImageInput): Promise<Float32Array> {
    const [outcome] = await this.embedder.embedImages([input]);
    if (outcome instanceof Float32Array) return outcome;
    throw outcome ?? new InputError(input.name, 'the model returned no vector');
  }

  /** The stored vector of an indexed image, if this scope may see it. */
  async storedVector(imageId: string, scope: TenantScope): Promise<Float32Array> {
    const vector = (await this.store.getVectors([imageId], scope)).get(imageId);
    if (!vector) {
      throw refusal(imageId, 'That image is no longer indexed or not visible here; run a new search.');
    }
    return vector;
  }

  /**
   * Hits ranked `offset + 1` to `offset + count`. With `text`, the images whose read text matches are ranked
   * too and both rankings fused (fuseRanks), or only they are ranked when the asker wants the words alone.
   */
  async page(
    vector: Float32Array,
    scope: TenantScope,
    offset: number,
    count: number,
    text?: FindText,
    shape: SearchShape = unshaped,
  ): Promise<SearchPage> {
    const depth = Math.min(offset + count, maxResultDepth);
    if (depth <= offset) return { hits: [], hasMore: false, cut: 0, lowConfidence: false };
    // A shaped answer (cut, folded, sorted by date) is decided over every candidate, the same on every page; a
    // plain one needs one extra hit to say whether a next page exists; fusion looks at least a first page deep.
    const k =
      shape === unshaped ? Math.min(Math.max(depth + 1, fusionDepth), maxResultDepth + 1) : maxResultDepth;
    const filter = shape.filter;
    // The same k with or without text: an approximate kNN (Elasticsearch) answers alike only when asked alike,
    // so that a query no image's text matches ranks exactly as CLIP alone does.
    const [byVector, byText] = await Promise.all([
      text?.only ? [] : this.store.knn({ vector, k, scope, ...(filter && { filter }) }),
      text
        ? this.store.findText({ words: text.words, phrase: text.phrase, k, scope, ...(filter && { filter }) })
        : [],
    ]).catch(async (error: unknown) => {
      // A query of other dims than the index's (the stores check it before asking anything): the index was built
      // with, or switched to, another model. Any other failure (an outage) is passed on as it is, at once.
      if (!(error instanceof InputError)) throw error;
      const stats = await this.store.stats().catch(() => undefined);
      if (stats?.modelId !== undefined && stats.dims !== vector.length) {
        throw this.mismatch(stats.index, { dims: stats.dims ?? 0, modelId: stats.modelId });
      }
      throw error;
    });
    // Vectors of another model rank at random: refuse rather than answer (e.g. the index was rebuilt with another
    // model after this process started, or a search runs with another LOOKALIKE_MODEL than the indexer did).
    const foreign = byVector.find((hit) => hit.model_id !== this.embedder.modelId);
    if (foreign) {
      const stats = await this.store.stats();
      throw this.mismatch(stats.index, { dims: stats.dims ?? vector.length, modelId: foreign.model_id });
    }
    const ranked =
      byText.length === 0
        ? byVector
        : await this.withCosine(
            fuseRanks([
              { hits: byVector, weight: 1 },
              { hits: byText, weight: textWeight, quality: relativeTo(byText[0]?.score ?? 1) },
            ]),
            vector,
            byVector,
            scope,
          );
    const answer = await this.shaped(ranked, shape, scope, text !== undefined, depth + 1);
    return {
      hits: answer.hits.slice(offset, depth),
      hasMore: answer.hits.length > depth && depth < maxResultDepth,
      cut: answer.cut,
      lowConfidence: answer.lowConfidence,
    };
  }

  /**
   * The whole answer: hits far below the best one cut (not for text searches, whose ranking is by the words),
   * near-copies folded under the better hit (one getVectors for the candidates, no round trip per hit), then
   * ordered by date when asked (newest first; a hit without a date goes last). Cheap: bench/search-language.md.
   */
  private async shaped(
    ranked: Hit[],
    shape: SearchShape,
    scope: TenantScope,
    byWords: boolean,
    /** Hits the caller reads (its page and one more to tell whether another page exists). */
    wanted: number,
  ): Promise<{ hits: ShapedHit[]; cut: number; lowConfidence: boolean }> {
    const level = this.answerSettings.lowConfidence;
    const lowConfidence = level !== undefined && ranked.length > 0 && !byWords && ranked[0]!.score < level;
    if (shape.all) {
      const hits = ranked.map((hit) => ({ ...hit, nearCopies: [] }));
      return { hits: shape.sort === 'date' ? byDate(hits) : hits, cut: 0, lowConfidence };
    }
    const kept = byWords ? ranked.length : this.keptByRelevance(ranked);
    const candidates = ranked.slice(0, kept);
    const vectors = await this.store.getVectors(
      candidates.map((h) => h.image_id),
      scope,
    );
    const folded = foldNearCopies(
      candidates.flatMap((hit) => {
        const vector = vectors.get(hit.image_id);
        return vector ? [{ item: hit, vector }] : [];
      }),
      this.answerSettings.nearCopyCosine,
      // Ordered by date, any kept hit may come first: all of them are needed.
      shape.sort === 'date' ? Infinity : wanted,
    ).map(({ item, nearCopies }) => ({ ...item, nearCopies }));
    return {
      hits: shape.sort === 'date' ? byDate(folded) : folded,
      cut: ranked.length - kept,
      lowConfidence,
    };
  }

  /**
   * How many ranked hits pass the relevance cut. Hits that are copies of the query itself (a picture searched
   * by example finds itself at 1.0) all stay and do not set the level: the cut is relative to the best other
   * image, or a self-match would cut every merely similar one.
   */
  private keptByRelevance(ranked: Hit[]): number {
    const copies = ranked.findIndex((h) => h.score < this.answerSettings.nearCopyCosine);
    if (copies < 0) return ranked.length;
    return copies + relevanceCut(ranked.slice(copies).map((h) => h.score));
  }

  private mismatch(index: string, stored: IndexSpec) {
    return modelMismatch(this.store.backend, index, stored, {
      dims: this.embedder.dims,
      modelId: this.embedder.modelId,
    });
  }

  /** Text-only hits get the cosine of their stored vector, so every hit shows the same kind of score. */
  private async withCosine(
    hits: Hit[],
    vector: Float32Array,
    known: Hit[],
    scope: TenantScope,
  ): Promise<Hit[]> {
    const scored = new Set(known.map((h) => h.image_id));
    const missing = hits.filter((h) => !scored.has(h.image_id)).map((h) => h.image_id);
    if (missing.length === 0) return hits;
    const vectors = await this.store.getVectors(missing, scope);
    return hits.map((hit) => {
      const stored = vectors.get(hit.image_id);
      return stored ? { ...hit, score: dot(vector, stored) } : hit;
    });
  }
}
