import { summaryLine } from '../indexer/report.js';
import type { IndexProgress, IndexReport } from '../indexer/types.js';

/** At most this many failures are listed in a chat message; the rest are counted. */
const listedFailures = 10;

/** One status line for a running job: `indexing 120/400, 3 failed, 12.5/s, about 22 s left`. */
export function formatProgress(progress: IndexProgress): string {
  const parts = [
    `${progress.phase} ${progress.done}${progress.total !== undefined ? `/${progress.total}` : ''}`,
  ];
  if (progress.failed > 0) parts.push(`${progress.failed} failed`);
  const counting = progress.phase !== 'scanning' && progress.phase !== 'committing';
  if (counting && progress.ratePerSecond !== undefined) {
    parts.push(`${progress.ratePerSecond.toFixed(1)}/s`);
  }
  if (counting && progress.etaSeconds !== undefined) {
    parts.push(`about ${Math.ceil(progress.etaSeconds)} s left`);
  }
  return parts.join(', ');
}

/** A finished job's report: counts, time, and the failures with their reasons. */
export function formatIndexReport(report: IndexReport): string[] {
  const failures = [...report.failed, ...(report.text?.failed ?? []), ...(report.thumbnails?.failed ?? [])];
  const lines = [
    `${report.dryRun ? 'Dry run of' : 'Indexed'} ${report.source}${report.full ? ' (full rebuild)' : ''}: ` +
      `${summaryLine(report)} in ${(report.durationMs / 1000).toFixed(1)} s.`,
    ...failures.slice(0, listedFailures).map((f) => `  ${f.input}: ${f.reason}`),
  ];
  const unlisted = failures.length - listedFailures;
  if (unlisted > 0) lines.push(`  … and ${unlisted} more failures`);
  return lines;
}
