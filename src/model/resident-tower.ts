import type ort from 'onnxruntime-node';
import { Tower, type TowerSpec } from './tower.js';

/**
 * A tower that leaves memory when nothing has used it for `idleMs`, and is loaded again by the next run. The
 * vision tower is ~340 MiB of fp32 weights (~90 MiB int8) that a bot answering text searches never touches:
 * only indexing and image queries need it. The first load happens at startup (the caller checks the graph
 * then), so a broken file still fails at once; later loads cost the run that needs them the load time (bench/memory.md: 4 s fp32, 0.7 s int8 at
 * load average 30).
 */
export class ResidentTower {
  private loading: Promise<Tower> | undefined;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly spec: TowerSpec,
    private readonly threads: number,
    private readonly idleMs: number,
    loaded: Tower,
  ) {
    this.loading = Promise.resolve(loaded);
    this.arm();
  }

  async embed(feeds: Record<string, ort.Tensor>, rows: number): Promise<Float32Array[]> {
    if (this.closed) throw new Error(`${this.file}: the tower was closed`);
    clearTimeout(this.timer);
    this.running++;
    try {
      this.loading ??= Tower.open(this.file, this.spec, this.threads);
      const tower = await this.loading.catch((error: unknown) => {
        this.loading = undefined;
        throw error;
      });
      return await tower.embed(feeds, rows);
    } finally {
      this.running--;
      this.arm();
    }
  }

  /** Whether the session is in memory now (for tests and benches). */
  get resident(): boolean {
    return this.loading !== undefined;
  }

  async release(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.unload();
  }

  private arm(): void {
    if (this.running > 0 || this.closed || !Number.isFinite(this.idleMs)) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.unload(), this.idleMs);
    // An idle timer must not keep a finished CLI run alive.
    this.timer.unref();
  }

  private async unload(): Promise<void> {
    if (this.running > 0 || !this.loading) return;
    const loading = this.loading;
    this.loading = undefined;
    const tower = await loading.catch(() => undefined);
    await tower?.release();
  }
}
