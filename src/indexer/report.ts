import type { IndexRun } from './run.js';
import type { IndexFailure, IndexReport, TextReport, ThumbnailReport } from './types.js';

export interface ItemCounts {
  new: number;
  updated: number;
  unchanged: number;
}

/** Classifies each key of this shard that is indexed after the run, by its content before and now. */
export function countItems(run: IndexRun): ItemCounts {
  const counts: ItemCounts = { new: 0, updated: 0, unchanged: 0 };
  for (const group of run.membership.groups.values()) {
    for (const member of group.members) {
      if (!member.mine || member.pinned || !member.item || run.failures.has(member.key)) continue;
      if (member.previousSha === undefined) counts.new++;
      else if (member.previousSha === group.sha) counts.unchanged++;
      else counts.updated++;
    }
  }
  return counts;
}

export const byInput = (list: IndexFailure[]) =>
  [...list].sort((a, b) => (a.input < b.input ? -1 : a.input > b.input ? 1 : 0));

/** The failures of a run as a sorted list. */
export function failureList(run: IndexRun): IndexFailure[] {
  return byInput([...run.failures].map(([input, reason]) => ({ input, reason })));
}

/** One line: `12 new, 3 updated, 200 unchanged, 1 deleted, 2 failed, 5 skipped; text found in 4 of 15 read`. */
export function summaryLine(
  report: Pick<IndexReport, ItemKeys | 'deleted' | 'failed' | 'skipped' | 'text' | 'thumbnails'>,
): string {
  const parts = [
    `${report.new} new`,
    `${report.updated} updated`,
    `${report.unchanged} unchanged`,
    `${report.deleted} deleted`,
    `${report.failed.length} failed`,
  ];
  if (report.skipped?.length) parts.push(`${report.skipped.length} skipped`);
  const thumbnails = report.thumbnails && thumbnailLine(report.thumbnails);
  return (
    parts.join(', ') +
    (report.text ? `; ${textLine(report.text)}` : '') +
    (thumbnails ? `; ${thumbnails}` : '')
  );
}

/** Said only when something went wrong: `2 without a thumbnail`, or why the store refused thumbnails. */
function thumbnailLine(thumbnails: ThumbnailReport): string | undefined {
  if (thumbnails.storeError !== undefined) {
    return `thumbnails not stored (${thumbnails.storeError}): search works, replies show names instead`;
  }
  if (thumbnails.failed.length > 0) return `${thumbnails.failed.length} without a thumbnail`;
  return undefined;
}

/** `text found in 4 of 15 images read (9 showed no sign of text, 1 read smaller), 1 not read`. */
function textLine(text: TextReport): string {
  const notes = [`${text.passedOver} showed no sign of text`];
  if (text.downscaled > 0) notes.push(`${text.downscaled} read smaller`);
  const failed = text.failed.length > 0 ? `, ${text.failed.length} not read` : '';
  return `text found in ${text.withText} of ${text.read} images read (${notes.join(', ')})${failed}`;
}

type ItemKeys = keyof ItemCounts;
