import type { DateKind, Hit } from '../store/types.js';

// The reply model: what a command answers, built by the renderer and shown by each adapter in its own terms.

export interface FileAttachment {
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface ReplyHit {
  rank: number;
  score: number;
  hit: Hit;
  /** Where a person can open it: permalink, URL, or the path relative to its folder. */
  location: string;
  /** Near-copies folded under it in this answer. */
  nearCopies: number;
  /** Its date and which date that is, when the answer is ordered by date. */
  date?: { at: number; kind: DateKind };
}

/** What a command answers; each adapter renders it in its platform's terms. */
export type Reply =
  | {
      kind: 'results';
      title: string;
      hits: ReplyHit[];
      /** Grid of thumbnails with rank and score. */
      contactSheet?: FileAttachment;
      /** The top images themselves, re-encoded when needed to fit platform upload limits. */
      images: FileAttachment[];
      /** Opaque token for the next page (`more`), absent on the last page. */
      cursor?: string;
      /** Sentences about the whole answer (what was cut, a weak best match, the order), shown under the list. */
      notes: string[];
    }
  | { kind: 'text'; text: string; ephemeral?: boolean }
  | { kind: 'error'; text: string }
  | { kind: 'job'; jobId: string; text: string };
