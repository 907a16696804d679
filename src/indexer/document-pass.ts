import { createHash } from 'node:crypto';
import PQueue from 'p-queue';
import type { ImageMeta } from '../store/types.js';
import { InputError } from '../util/errors.js';
import type { Membership } from './membership.js';

// The parts shared by the passes over stored documents after a run (thumbnails.ts, text.ts): each reads the
// current bytes of the documents that lack something, a few at a time, and writes what it made in batches.

/**
 * Runs `work` on each item, `concurrency` at a time, taking no new item after the first failure. Resolves
 * when the started ones have settled, to that failure (undefined when every item was done).
 */
export async function eachBounded<T>(
  items: Iterable<T>,
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<unknown> {
  const queue = new PQueue({ concurrency });
  let stopped: unknown;
  for (const item of items) {
    // Waiting for room keeps at most `concurrency` images in memory, however many documents there are.
    await queue.onSizeLessThan(concurrency);
    if (stopped !== undefined) break;
    queue.add(() => work(item)).catch((error: unknown) => (stopped ??= error));
  }
  await queue.onIdle();
  return stopped;
}

/** Collects updates and hands them to `write` `size` at a time; `flush` writes what is left. */
export function batchedWrites<T>(size: number, write: (batch: T[]) => Promise<void>) {
  let pending: T[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    if (batch.length > 0) await write(batch);
  };
  return {
    async add(update: T): Promise<void> {
      pending.push(update);
      if (pending.length >= size) await flush();
    },
    flush,
  };
}

/**
 * The bytes of a document as one of its keys holds them now, with that key: the first key whose content still
 * hashes to the document's. Undefined when none does (changed since the run read it: left for the next run).
 */
export async function currentBytes(
  doc: ImageMeta,
  membership: Membership,
): Promise<{ key: string; bytes: Buffer } | undefined> {
  for (const member of membership.groups.get(doc.sha256)?.members ?? []) {
    if (member.pinned || !member.item) continue;
    let bytes: Buffer;
    try {
      bytes = await member.item.bytes();
    } catch {
      continue;
    }
    if (createHash('sha256').update(bytes).digest('hex') === doc.sha256) return { key: member.key, bytes };
  }
  return undefined;
}

/** What went wrong with one image, in words for the report. */
export const reasonOf = (error: unknown): string =>
  error instanceof InputError ? error.reason : (error as Error).message;
