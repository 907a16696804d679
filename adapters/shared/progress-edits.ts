import { setTimeout as sleep } from 'node:timers/promises';

export interface ProgressEditsOptions {
  /** Shortest time between the starts of two edits (chat platforms rate-limit message edits). */
  minIntervalMs: number;
  /** Replaces the status message's text. */
  edit(text: string): Promise<void>;
  /** A failed edit is reported here and never stops the next one. */
  onError(error: unknown): void;
}

export interface ProgressEdits {
  /** Shows `text` as soon as the interval allows; only the newest text waiting is kept. */
  update(text: string): void;
  /** Shows the final text after every earlier edit (still within the rate); later updates are ignored. */
  finish(text: string): Promise<void>;
}

/**
 * A status message edited at a bounded rate while long work runs. Edits run one after another, each at least
 * `minIntervalMs` after the previous one started; progress in between only replaces the text waiting, so the
 * newest wins, and the final text is always delivered last.
 */
export function progressEdits(options: ProgressEditsOptions): ProgressEdits {
  let lastEditAt = Number.NEGATIVE_INFINITY;
  let waiting: string | undefined;
  let scheduled = false;
  let finished = false;
  let chain: Promise<void> = Promise.resolve();

  const edit = async (text: string) => {
    const wait = lastEditAt + options.minIntervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    lastEditAt = Date.now();
    await options.edit(text).catch(options.onError);
  };

  return {
    update(text) {
      if (finished) return;
      waiting = text;
      if (scheduled) return;
      scheduled = true;
      chain = chain.then(async () => {
        const wait = lastEditAt + options.minIntervalMs - Date.now();
        if (wait > 0) await sleep(wait);
        scheduled = false;
        const next = waiting;
        waiting = undefined;
        if (!finished && next !== undefined) await edit(next);
      });
    },
    finish(text) {
      finished = true;
      waiting = undefined;
      chain = chain.then(() => edit(text));
      return chain;
    },
  };
}
