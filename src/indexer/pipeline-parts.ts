/** Counting semaphore: at most `limit` items between acquire and release. Waiters reject when `signal` aborts. */
export class Slots {
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.waiters.splice(0).forEach((wake) => wake()), { once: true });
  }

  async acquire(): Promise<void> {
    while (this.used >= this.limit) {
      this.signal.throwIfAborted();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.signal.throwIfAborted();
    this.used++;
  }

  release(count = 1): void {
    this.used -= count;
    this.waiters.splice(0, count).forEach((wake) => wake());
  }
}

/** A queue read in batches: `take(n)` waits for n items, or returns what is left once closed. */
export class Batcher<T> {
  private items: T[] = [];
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async take(count: number): Promise<T[]> {
    while (this.items.length < count && !this.closed) {
      this.signal.throwIfAborted();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    this.signal.throwIfAborted();
    return this.items.splice(0, count);
  }
}
