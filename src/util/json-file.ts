import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceError } from './errors.js';

const lockWaitMs = 10_000;
const staleLockMs = 30_000;

/**
 * A small JSON file that several writers share (bot commands, the live indexer, `lookalike index` in another
 * process): each change reads, edits and writes it while holding `<file>.lock`, and files are replaced
 * atomically (temporary file + rename), so no change is lost and a reader never sees half a file.
 */
export class LockedJsonFile<T> {
  constructor(
    readonly file: string,
    /** Checks the parsed JSON (a zod schema's parse): a file that fails is reported, never overwritten. */
    private readonly parse: (json: unknown) => T,
    private readonly empty: T,
    /** What the file holds, for errors ("source registry"). */
    private readonly what: string,
  ) {}

  async read(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.empty;
      throw new ServiceError(this.what, `cannot read ${this.file}: ${(error as Error).message}`);
    }
    try {
      return this.parse(JSON.parse(text));
    } catch (error) {
      throw new ServiceError(
        this.what,
        `${this.file} is not a valid ${this.what} (${(error as Error).message.split('\n')[0]}): fix or remove it`,
      );
    }
  }

  /** Applies `edit` to the current content under the lock and writes the result. */
  async update(edit: (current: T) => T): Promise<T> {
    return this.withLock(async () => {
      const next = edit(await this.read());
      await writeAtomically(this.file, `${JSON.stringify(next, null, 2)}\n`);
      return next;
    });
  }

  /** Runs `work` holding `<file>.lock` (a lock left by a killed process is taken over after 30 s). */
  private async withLock<R>(work: () => Promise<R>): Promise<R> {
    const lock = `${this.file}.lock`;
    await mkdir(path.dirname(lock), { recursive: true });
    const deadline = Date.now() + lockWaitMs;
    for (;;) {
      try {
        await (await open(lock, 'wx')).close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
        if (age > staleLockMs) await unlink(lock).catch(() => undefined);
        else if (Date.now() > deadline) {
          throw new ServiceError(
            this.what,
            `${lock} is held by another run; remove it if no run is going on`,
          );
        }
        await sleep(20);
      }
    }
    try {
      return await work();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }
}

/** Replaces `file` with `text` in one step (a temporary file renamed over it). */
export async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temporary, text, { flush: true });
  await rename(temporary, file);
}
