import PQueue from 'p-queue';

/** The inference queue is full: the request was refused without waiting. */
export class BusyError extends Error {
  constructor(readonly waiting: number) {
    super(`busy: ${waiting} requests waiting`);
    this.name = 'BusyError';
  }
}

export interface InferenceQueueSettings {
  /** Requests embedding or searching at the same time (their texts are micro-batched together). */
  concurrency: number;
  /** Requests allowed to wait; one more is refused with BusyError at once. */
  maxWaiting: number;
}

/**
 * Bounded waiting line in front of the model and the store. Running work is capped by `concurrency`;
 * a request arriving when `maxWaiting` are already waiting is refused immediately (a friendly "busy"
 * answer beats a reply that arrives after the platform gave up). Aborting a waiting request removes it.
 */
export class InferenceQueue {
  private readonly queue: PQueue;

  constructor(private readonly settings: InferenceQueueSettings) {
    this.queue = new PQueue({ concurrency: settings.concurrency });
  }

  run<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.queue.size >= this.settings.maxWaiting) throw new BusyError(this.queue.size);
    return this.queue.add(work, { signal, throwOnTimeout: true });
  }

  /** Requests running or waiting now. */
  get depth(): number {
    return this.queue.size + this.queue.pending;
  }

  /** Waits for running and waiting work to finish. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }
}
