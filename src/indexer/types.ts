import type { ImageSource } from '../sources/types.js';

/** Progress of one indexing job, emitted as it runs (CLI progress bar, edited chat status message). */
export interface IndexProgress {
  jobId: string;
  phase: 'scanning' | 'indexing' | 'committing' | 'reading text' | 'making thumbnails' | 'done' | 'failed';
  /** Items examined so far (new + updated + unchanged + failed). */
  done: number;
  total?: number;
  failed: number;
  ratePerSecond?: number;
  etaSeconds?: number;
}

export interface IndexFailure {
  /** The path, URL or message reference, exactly as a person would recognise it. */
  input: string;
  reason: string;
}

export interface IndexReport {
  jobId: string;
  source: string;
  tenant: string;
  new: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: IndexFailure[];
  /** Inputs passed over on purpose: not images (by content, with a name that does not claim so either), links out of the folder. */
  skipped?: IndexFailure[];
  /** What OCR did, when it ran (src/indexer/text.ts). */
  text?: TextReport;
  /** Thumbnails made for replies (src/indexer/thumbnails.ts); absent when none was made or missed (and in a dry run). */
  thumbnails?: ThumbnailReport;
  dryRun: boolean;
  full: boolean;
  shard?: { index: number; count: number };
  startedAt: string;
  durationMs: number;
}

/** The text pass of a run: images read, how many showed text, and the ones whose text could not be read. */
export interface TextReport {
  read: number;
  withText: number;
  /** Read no further than the cheap test: they showed no sign of text. */
  passedOver: number;
  /** Read at a reduced size (huge images). */
  downscaled: number;
  /** Their documents stay, searchable by what they show. */
  failed: IndexFailure[];
}

/** The thumbnail pass of a run: previews made, images that could not have one, a store that refused them. */
export interface ThumbnailReport {
  made: number;
  /** Their documents stay; replies show their names. */
  failed: IndexFailure[];
  /** Why the store could not hold thumbnails: search goes on, replies show names until a run stores them. */
  storeError?: string;
}

export interface IndexOptions {
  source: ImageSource;
  /** Rebuild from scratch behind the store's reindex swap; searches keep answering meanwhile. */
  full?: boolean;
  dryRun?: boolean;
  /** Keep documents whose files disappeared. */
  keepMissing?: boolean;
  /** Deterministic partition `{ index: i, count: n }` (0-based i) so n machines can share the work. */
  shard?: { index: number; count: number };
  concurrency?: number;
  batchSize?: number;
  onProgress?: (progress: IndexProgress) => void;
  signal?: AbortSignal;
}
