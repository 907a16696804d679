import type { ReplyHooks } from '../../src/bot/types.js';
import { formatIndexReport, formatProgress } from '../../src/render/report.js';
import type { Logger } from '../../src/util/log.js';
import { progressEdits } from '../shared/progress-edits.js';

/**
 * The status message of a long job (reindex): the job's answer as its heading and the newest progress below,
 * edited at most once per `intervalMs`; the final report replaces it, always, and last.
 */
export function jobStatus(edit: (text: string) => Promise<unknown>, intervalMs: number, logger: Logger) {
  let heading = '';
  let progress = '';
  const edits = progressEdits({
    minIntervalMs: intervalMs,
    edit: async (text) => void (await edit(text)),
    onError: (error) => logger.warn('discord: could not edit a job status message', { error }),
  });
  const show = () => edits.update([heading, progress].filter(Boolean).join('\n'));
  const hooks: ReplyHooks = {
    onProgress(p) {
      progress = formatProgress(p);
      show();
    },
    onJobDone(report) {
      void edits.finish(formatIndexReport(report).join('\n'));
    },
  };
  return {
    hooks,
    /** The job's answer (`job` reply text) heads every later status. */
    started(text: string) {
      heading = text;
      show();
    },
  };
}
