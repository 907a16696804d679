import type { Reply } from '../../src/bot/types.js';
import { formatHitLines } from '../../src/render/list.js';
import { saveSheet } from './sheets.js';

/**
 * A reply as console lines. A results reply's contact sheet is saved under `sheetsDir` (the newest few are
 * kept) and its path printed, since a terminal cannot show it.
 */
export async function replyLines(reply: Reply, sheetsDir: string): Promise<string[]> {
  switch (reply.kind) {
    case 'text':
    case 'job':
      return [reply.text];
    case 'error':
      return [`error: ${reply.text}`];
    case 'results': {
      const first = reply.hits[0]?.rank ?? 1;
      const lines = [
        `Results ${first}-${first + reply.hits.length - 1} for ${reply.title}:`,
        ...formatHitLines(reply.hits),
      ];
      lines.push(...reply.notes);
      if (reply.contactSheet) {
        lines.push(`Contact sheet: ${await saveSheet(reply.contactSheet.bytes, reply.title, sheetsDir)}`);
      }
      if (reply.cursor) lines.push('More: /more');
      return lines;
    }
  }
}
