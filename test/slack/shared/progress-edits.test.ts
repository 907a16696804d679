import { describe, expect, it } from 'vitest';
import { progressEdits } from '../../../adapters/shared/progress-edits.js';
import { editRecorder } from '../../helpers/edit-recorder.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('progress edits', () => {
  it('edits at most once per interval with the newest text, one at a time, and ends with the final text', async () => {
    const interval = 200;
    const { edits, edit, maxInFlight } = editRecorder(30);
    const errors: unknown[] = [];
    const status = progressEdits({ minIntervalMs: interval, edit, onError: (e) => errors.push(e) });
    const started = Date.now();
    for (let i = 1; i <= 30; i++) {
      status.update(`step ${i}`);
      await sleep(25);
    }
    await status.finish('done');
    const elapsed = Date.now() - started;

    expect(edits.at(-1)?.text).toBe('done');
    const gaps = edits.slice(1).map((e, i) => e.at - edits[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(interval - 2);
    expect(edits.length).toBeLessThanOrEqual(Math.ceil(elapsed / interval) + 1);
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(maxInFlight()).toBe(1);
    // Newest wins: the steps shown only grow, and the first edit is not delayed.
    const steps = edits.slice(0, -1).map((e) => Number(e.text.split(' ')[1]));
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps[0]).toBe(1);
    expect(errors).toEqual([]);
  });

  it('delivers the final text after an edit in flight and ignores later progress', async () => {
    const { edits, edit } = editRecorder(120);
    const status = progressEdits({ minIntervalMs: 50, edit, onError: () => undefined });
    status.update('halfway');
    await sleep(10);
    const finished = status.finish('report');
    status.update('late progress');
    await finished;
    await sleep(100);
    expect(edits.map((e) => e.text)).toEqual(['halfway', 'report']);
  });

  it('keeps going after a failed edit and reports the failure', async () => {
    const { edits, edit } = editRecorder(5, ['one']);
    const errors: unknown[] = [];
    const status = progressEdits({ minIntervalMs: 20, edit, onError: (e) => errors.push(e) });
    status.update('one');
    await sleep(40);
    status.update('two');
    await sleep(40);
    await status.finish('report');
    expect(edits.map((e) => e.text)).toEqual(['one', 'two', 'report']);
    expect(errors).toHaveLength(1);
  });
});
