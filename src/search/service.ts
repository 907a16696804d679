import type { Embedder, ImageInput } from '../model/types.js';
import { modelMismatch } from '../store/model-stamp.js';
import type { Hit, TenantScope, VectorStore } from '../store/types.js';
import { InputError, refusal } from '../util/errors.js';
import { TextBatcher, type TextBatcherOptions } from './text-batcher.js';

export interface SearchPage {
  hits: Hit[];
  /** True when at least one more hit exists after this page. */
  hasMore: boolean;
}

/** Deepest result a search pages to: `more` stops here (the store ranks offset + count per page). */
export const maxResultDepth = 100;

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

  /** Hits ranked `offset + 1` to `offset + count`. */
  async page(vector: Float32Array, scope: TenantScope, offset: number, count: number): Promise<SearchPage> {
    const depth = Math.min(offset + count, maxResultDepth);
    if (depth <= offset) return { hits: [], hasMore: false };
    // One extra hit says whether a next page exists.
    const ranked = await this.store.knn({ vector, k: Math.min(depth + 1, maxResultDepth + 1), scope });
    // Vectors of another model rank at random: refuse rather than answer (e.g. the index was rebuilt with another
    // model after this process started, or a search runs with another LOOKALIKE_MODEL than the indexer did).
    const foreign = ranked.find((hit) => hit.model_id !== this.embedder.modelId);
    if (foreign) {
      const stats = await this.store.stats();
      const stored = { dims: stats.dims ?? vector.length, modelId: foreign.model_id };
      throw modelMismatch(this.store.backend, stats.index, stored, {
        dims: this.embedder.dims,
        modelId: this.embedder.modelId,
      });
    }
    return { hits: ranked.slice(offset, depth), hasMore: ranked.length > depth && depth < maxResultDepth };
  }
}
