import { randomUUID } from 'node:crypto';
import { refusal } from '../util/errors.js';
import { metrics } from '../ops/metrics.js';
import type { Logger } from '../util/log.js';

interface RunningJob {
  id: string;
  label: string;
  startedAt: Date;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Long work (indexing) started from chat: at most one job per tenant, run in the background after the command
 * has answered. A second start for the same tenant is refused with what is running and since when.
 */
export class JobRunner {
  private readonly running = new Map<string, RunningJob>();

  constructor(private readonly logger: Logger) {}

  /** Starts `work` for this tenant; it gets the job id and a signal that fires when the bot closes. */
  start(tenant: string, label: string, work: (jobId: string, signal: AbortSignal) => Promise<void>): string {
    const current = this.running.get(tenant);
    if (current) {
      throw refusal(
        'reindex',
        `A job is already running here (${current.label}, started ${current.startedAt.toISOString()}); ` +
          'wait for its report before starting another.',
      );
    }
    const id = randomUUID().slice(0, 8);
    const controller = new AbortController();
    const job: RunningJob = { id, label, startedAt: new Date(), controller, done: Promise.resolve() };
    this.running.set(tenant, job);
    metrics.indexJobsRunning.inc();
    job.done = work(id, controller.signal)
      .catch((error: unknown) => this.logger.error('job failed', { tenant, jobId: id, error }))
      .finally(() => {
        metrics.indexJobsRunning.dec();
        this.running.delete(tenant);
      });
    return id;
  }

  isRunning(tenant: string): boolean {
    return this.running.has(tenant);
  }

  /** Asks every job to stop and waits for them. */
  async close(): Promise<void> {
    const jobs = [...this.running.values()];
    for (const job of jobs) job.controller.abort();
    await Promise.all(jobs.map((j) => j.done));
  }
}
