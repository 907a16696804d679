import type { Embedder, ImageInput } from '../model/types.js';
import { modelMismatch } from '../store/model-stamp.js';
import type { Hit, IndexSpec, TenantScope, VectorStore } from '../store/types.js';
import { InputError, refusal } from '../util/errors.js';
import { fuseRanks } from './fusion.js';
import { TextBatcher, type TextBatcherOptions } from './text-batcher.js';
import type { FindText } from './text-query.js';

export interface SearchPage {
  hits: Hit[];
  /** True when at least one more hit exists after this page. */
  hasMore: boolean;
}

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

const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return dot;
};

/** A text match's score against the best one's (findText returns the best first). */
const relativeTo = (best: number) => (hit: Hit) => (best > 0 ? Math.min(1, hit.score / best) : 1);

/** Text and image queries to vectors, vectors to ranked hits; every search is scoped by the caller. */
export class SearchService {
  private readonly batcher: TextBatcher;

  constructor(
    private readonly embedder: Embedder,
    private readonly store: VectorStore,
    batching: TextBatcherOptions = { windowMs: 4, maxBatch: 16 },
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
  ): Promise<SearchPage> {
    const depth = Math.min(offset + count, maxResultDepth);
    if (depth <= offset) return { hits: [], hasMore: false };
    // One extra hit says whether a next page exists; fusion looks at least a first page deep into both lists.
    const k = Math.min(Math.max(depth + 1, fusionDepth), maxResultDepth + 1);
    // The same k with or without text: an approximate kNN (Elasticsearch) answers alike only when asked alike,
    // so that a query no image's text matches ranks exactly as CLIP alone does.
    const [byVector, byText] = await Promise.all([
      text?.only ? [] : this.store.knn({ vector, k, scope }),
      text ? this.store.findText({ words: text.words, phrase: text.phrase, k, scope }) : [],
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
    return { hits: ranked.slice(offset, depth), hasMore: ranked.length > depth && depth < maxResultDepth };
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
      return stored ? { ...hit, score: cosine(vector, stored) } : hit;
    });
  }
}
