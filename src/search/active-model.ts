import type { Embedder } from '../model/types.js';
import type { AtSwap } from '../store/types.js';

/**
 * The model a process searches with, swapped together with the index at the end of a model switch. A query
 * embeds with one model and searches an index of that model: work started through `use` keeps the model it
 * started with, the swap waits for such work to finish, and work that arrives during the swap waits for it.
 * So no search mixes the old model with the new index, or the other way round.
 */
export class ActiveModel {
  private current: Embedder;
  private running = 0;
  private swapping: Promise<void> | undefined;
  private idle: (() => void) | undefined;
  /** When the model last changed (ms since the epoch; 0: never): what was embedded before belongs to the old one. */
  swappedAt = 0;

  constructor(embedder: Embedder) {
    this.current = embedder;
  }

  /** The model in use now (for what only shows it: it may change right after). */
  get embedder(): Embedder {
    return this.current;
  }

  /**
   * An embedder that uses, at each call, the model in use then: for long-lived users that embed on their own
   * (the live chat indexer). Closing it closes nothing; the holder's owner closes the models.
   */
  following(): Embedder {
    const at = () => this.current;
    return {
      get modelId() {
        return at().modelId;
      },
      get dims() {
        return at().dims;
      },
      prepareImage: (input, options) => at().prepareImage(input, options),
      embedPrepared: (images) => at().embedPrepared(images),
      embedImages: (inputs) => at().embedImages(inputs),
      embedTexts: (texts) => at().embedTexts(texts),
      close: async () => undefined,
    };
  }

  /** Runs `work` with the model in use now; a swap does not happen until it is done. */
  async use<T>(work: (embedder: Embedder) => Promise<T>): Promise<T> {
    while (this.swapping) await this.swapping;
    this.running++;
    try {
      return await work(this.current);
    } finally {
      this.running--;
      if (this.running === 0) this.idle?.();
    }
  }

  /**
   * What a store's commitModelSwitch runs at the moment of the swap: once the work in flight is done, the store
   * swaps its index and this holder its model, with no work running in between; `onSwapped` gets the old model.
   */
  swapTo(embedder: Embedder, onSwapped?: (previous: Embedder) => void): AtSwap {
    return async (swap) => {
      while (this.swapping) await this.swapping;
      let release = () => {};
      this.swapping = new Promise<void>((resolve) => (release = resolve));
      try {
        if (this.running > 0) await new Promise<void>((resolve) => (this.idle = resolve));
        this.idle = undefined;
        await swap();
        const previous = this.current;
        this.current = embedder;
        this.swappedAt = Date.now();
        onSwapped?.(previous);
      } finally {
        this.swapping = undefined;
        release();
      }
    };
  }
}
