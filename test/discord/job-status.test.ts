import { describe, expect, it } from 'vitest';
import { jobStatus } from '../../adapters/discord/job-status.js';
import type { IndexReport } from '../../src/indexer/types.js';
import { formatIndexReport } from '../../src/render/report.js';
import { createLogger } from '../../src/util/log.js';
import { editRecorder } from '../helpers/edit-recorder.js';

const logger = createLogger({}, () => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const report: IndexReport = {
  jobId: 'j1',
  source: 'discord:general',
  tenant: 'g1',
  new: 3,
  updated: 1,
  unchanged: 0,
  deleted: 0,
  failed: [{ input: 'broken.png', reason: 'not an image' }],
  dryRun: false,
  full: false,
  startedAt: new Date().toISOString(),
  durationMs: 1234,
};

describe('job status message', () => {
  it('edits at most once per interval, shows the newest progress, and ends with the report', async () => {
    const interval = 250;
    const { edits, edit, maxInFlight } = editRecorder(40);
    const status = jobStatus(edit, interval, logger);
    status.started('Reindex started (job j1).');
    const started = Date.now();
    const emitted: { at: number; done: number }[] = [];
    for (let done = 1; done <= 24; done++) {
      emitted.push({ at: Date.now(), done });
      status.hooks.onProgress?.({ jobId: 'j1', phase: 'indexing', done, total: 24, failed: 0 });
      await sleep(40);
    }
    status.hooks.onJobDone?.(report);
    await expect.poll(() => edits.at(-1)?.text, { timeout: 3000 }).toMatch(/^Indexed discord:general/);
    const elapsed = Date.now() - started;

    const gaps = edits.slice(1).map((e, i) => e.at - edits[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(interval - 5);
    expect(edits.length).toBeLessThanOrEqual(Math.ceil(elapsed / interval) + 1);
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(maxInFlight()).toBe(1);
    // Every status carries the job's header and a progress count that only grows.
    const counts = edits
      .slice(0, -1)
      .flatMap((e) => /indexing (\d+)\/24/.exec(e.text)?.[1] ?? [])
      .map(Number);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    // Each edit shows what was newest when it started, not a state queued an interval earlier.
    for (const e of edits.slice(1, -1)) {
      const newest = emitted.filter((p) => p.at <= e.at).at(-1)!.done;
      expect(Number(/indexing (\d+)\/24/.exec(e.text)?.[1])).toBeGreaterThanOrEqual(newest - 1);
    }
    expect(edits.slice(1, -1).every((e) => e.text.startsWith('Reindex started (job j1).\n'))).toBe(true);
    expect(edits.at(-1)!.text).toBe(formatIndexReport(report).join('\n'));
    expect(edits.at(-1)!.text).toContain('broken.png: not an image');
  });

  it('delivers the report even when it arrives right after a progress edit, and nothing after it', async () => {
    const { edits, edit } = editRecorder(5);
    const status = jobStatus(edit, 200, logger);
    status.hooks.onProgress?.({ jobId: 'j1', phase: 'indexing', done: 1, total: 2, failed: 0 });
    await sleep(20);
    status.hooks.onProgress?.({ jobId: 'j1', phase: 'indexing', done: 2, total: 2, failed: 0 });
    status.hooks.onJobDone?.(report);
    status.hooks.onProgress?.({ jobId: 'j1', phase: 'done', done: 2, total: 2, failed: 0 });
    await sleep(700);
    expect(edits.map((e) => e.text.split('\n')[0])).toEqual([
      'indexing 1/2',
      expect.stringMatching(/^Indexed discord:general/),
    ]);
    expect(edits[1]!.at - edits[0]!.at).toBeGreaterThanOrEqual(195);
  });
});
