import type { ReplyHooks } from '../../src/bot/types.js';
import { formatIndexReport, formatProgress } from '../../src/render/report.js';
import type { Logger } from '../../src/util/log.js';

/**
 * The status message of a long job (reindex). Edits start at least `intervalMs` apart and never overlap; each
 * shows the newest state at the moment it starts (states in between are skipped). The final report is always
 * delivered, last, at the same pace; nothing is shown after it.
 */
export function jobStatus(edit: (text: string) => Promise<unknown>, intervalMs: number, logger: Logger) {
  let header = '';
  let progress = '';
  let newest: string | undefined;
  let finished = false;
  let lastStart = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let editing: Promise<unknown> = Promise.resolve();

  const run = () => {
    timer = undefined;
    const text = newest;
    newest = undefined;
    if (text === undefined) return;
    lastStart = Date.now();
    const final = finished;
    editing = editing
      .then(() => edit(text))
      .catch((error: unknown) =>
        final
          ? logger.error('discord: could not deliver the job report', { error })
          : logger.warn('discord: progress edit failed', { error }),
      );
  };
  const show = (text: string) => {
    newest = text;
    timer ??= setTimeout(run, Math.max(0, lastStart + intervalMs - Date.now()));
  };
  const showProgress = () => {
    if (!finished) show([header, progress].filter(Boolean).join('\n'));
  };

  const hooks: ReplyHooks = {
    onProgress(p) {
      progress = formatProgress(p);
      showProgress();
    },
    onJobDone(report) {
      finished = true;
      show(formatIndexReport(report).join('\n'));
    },
  };
  return {
    hooks,
    /** The job's answer (`job` reply text) heads every later status. */
    started(text: string) {
      header = text;
      showProgress();
    },
  };
}
