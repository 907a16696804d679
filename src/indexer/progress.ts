import type { IndexProgress } from './types.js';

const minIntervalMs = 250;

/** Counts settled items and reports progress (rate and ETA once indexing runs), at most 4 times a second. */
export class ProgressTracker {
  private current: IndexProgress;
  private indexingSince: number | undefined;
  private lastEmit = 0;

  constructor(
    jobId: string,
    private readonly listener: ((progress: IndexProgress) => void) | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.current = { jobId, phase: 'scanning', done: 0, failed: 0 };
  }

  get snapshot(): IndexProgress {
    return { ...this.current };
  }

  phase(phase: IndexProgress['phase'], total?: number): void {
    if (phase === 'indexing' && this.indexingSince === undefined) this.indexingSince = this.now();
    this.current = { ...this.current, phase, ...(total !== undefined && { total }) };
    this.emit(true);
  }

  /** A later phase that counts its own items (done, failed, rate and ETA start again). */
  restart(phase: IndexProgress['phase'], total: number): void {
    this.indexingSince = this.now();
    this.current = { ...this.current, phase, done: 0, failed: 0, total };
    this.emit(true);
  }

  settle(outcome: { failed: boolean }): void {
    this.current.done++;
    if (outcome.failed) this.current.failed++;
    this.emit(this.current.done === this.current.total);
  }

  private emit(force: boolean): void {
    const now = this.now();
    if (!this.listener || (!force && now - this.lastEmit < minIntervalMs)) return;
    this.lastEmit = now;
    const { done, total } = this.current;
    const seconds = this.indexingSince === undefined ? 0 : (now - this.indexingSince) / 1000;
    const rate = seconds > 0 ? done / seconds : undefined;
    this.listener({
      ...this.current,
      ...(rate !== undefined && { ratePerSecond: rate }),
      ...(rate && total !== undefined && { etaSeconds: Math.max(0, (total - done) / rate) }),
    });
  }
}
