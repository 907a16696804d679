import type { Embedder } from '../model/types.js';
import { InputError } from '../util/errors.js';

export interface TextBatcherOptions {
  /** How long the first text of a batch waits for company before the batch runs. */
  windowMs: number;
  /** A batch runs at once when it holds this many texts. */
  maxBatch: number;
}

interface Waiting {
  text: string;
  resolve(vector: Float32Array): void;
  reject(error: unknown): void;
}

/**
 * Gathers texts asked for at about the same time into one `embedTexts` call. A batch runs when it is full,
 * when its window ends, or — under load — as soon as the batch before it finishes; only one runs at a time,
 * so texts arriving while the model is busy naturally wait for the next batch together.
 */
export class TextBatcher {
  private waiting: Waiting[] = [];
  /** Cancels the flush scheduled for the batch being gathered. */
  private scheduled: (() => void) | undefined;
  private running = false;

  constructor(
    private readonly embedder: Pick<Embedder, 'embedTexts'>,
    private readonly options: TextBatcherOptions,
  ) {}

  embed(text: string): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ text, resolve, reject });
      if (this.waiting.length >= this.options.maxBatch) this.flush();
      else this.scheduled ??= this.schedule(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled?.();
    this.scheduled = undefined;
    if (this.running || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.running = true;
    void this.run(batch).finally(() => {
      this.running = false;
      // Whatever arrived meanwhile has already waited at least one batch: run it now.
      if (this.waiting.length > 0) this.flush();
    });
  }

  private schedule(flush: () => void): () => void {
    // No window: the texts that arrived in this turn of the event loop (a 0 ms timer waits at least 1 ms).
    if (this.options.windowMs === 0) {
      const immediate = setImmediate(flush);
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(flush, this.options.windowMs);
    return () => clearTimeout(timer);
  }

  private async run(batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await this.embedder.embedTexts(batch.map((w) => w.text));
      batch.forEach((w, i) => {
        const outcome = outcomes[i];
        if (outcome instanceof Float32Array) w.resolve(outcome);
        else w.reject(outcome ?? new InputError('text', 'the model returned no vector'));
      });
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
