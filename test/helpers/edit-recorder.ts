import { setTimeout as sleep } from 'node:timers/promises';

/** One edit of a status message: when it started and the text it showed. */
export interface RecordedEdit {
  at: number;
  text: string;
}

/**
 * A status-message edit taking `latencyMs`, as a chat platform's would: records when each edit started and
 * what it showed, and how many ran at once. Edits to a text in `failing` throw after their latency.
 */
export function editRecorder(latencyMs: number, failing: string[] = []) {
  const edits: RecordedEdit[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const edit = async (text: string) => {
    edits.push({ at: Date.now(), text });
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await sleep(latencyMs);
    inFlight -= 1;
    if (failing.includes(text)) throw new Error(`edit of ${text} failed`);
  };
  return { edits, edit, maxInFlight: () => maxInFlight };
}
