import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { withRequest } from '../../src/util/request-context.js';
import type { Config } from '../../src/config/schema.js';
import type { IndexReport } from '../../src/indexer/types.js';
import type { Bot, ChatAdapter, CommandRequest, ReplyHooks } from '../../src/bot/types.js';
import { formatIndexReport, formatProgress } from '../../src/render/report.js';
import { InputError } from '../../src/util/errors.js';
import type { Logger } from '../../src/util/log.js';
import { parseLine } from './parse.js';
import { replyLines } from './print.js';

/** Every console request comes from this tenant; the person at the keyboard is an admin of it. */
export const consoleTenant = 'console';
/** The terminal saves files instead of uploading them: no platform limit to fit. */
const consoleUploadLimit = 64 * 1024 * 1024;
const prompt = 'lookalike> ';
/** Progress lines are printed at most this often (plus every phase change). */
const progressIntervalMs = 1_000;

export interface ConsoleAdapterOptions {
  bot: Bot;
  config: Config;
  logger: Logger;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

export interface ConsoleAdapter extends ChatAdapter {
  /** Settles when the input has ended and every job started from it has reported. */
  readonly finished: Promise<void>;
}

/**
 * The bot on a terminal: one command per line (`/find snowy mountain`), answers printed, contact sheets saved
 * under `<LOOKALIKE_DATA_DIR>/sheets/`. Lines are handled one after another, so piped input works like typing.
 */
export function createConsoleAdapter(options: ConsoleAdapterOptions): ConsoleAdapter {
  const { bot, config, logger } = options;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const interactive = (input as { isTTY?: boolean }).isTTY === true;
  const sheetsDir = path.join(config.LOOKALIKE_DATA_DIR, 'sheets');
  const print = (lines: string[]) => output.write(lines.map((l) => `${l}\n`).join(''));
  const jobs = new Set<Promise<void>>();
  let rl: readline.Interface | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const request = (parsed: Pick<CommandRequest, 'command' | 'options' | 'image'>): CommandRequest => ({
    ...parsed,
    actor: { id: os.userInfo().username, name: os.userInfo().username, isAdmin: true, isHostOperator: true },
    tenant: consoleTenant,
    uploadLimitBytes: consoleUploadLimit,
  });

  /** Hooks that print a job's progress now and then, and its report when it ends. */
  const jobHooks = (): { hooks: ReplyHooks; done: Promise<void> } => {
    let lastPrinted = 0;
    let lastPhase = '';
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const hooks: ReplyHooks = {
      onProgress(progress) {
        const now = Date.now();
        if (progress.phase === lastPhase && now - lastPrinted < progressIntervalMs) return;
        lastPhase = progress.phase;
        lastPrinted = now;
        print([`  ${formatProgress(progress)}`]);
      },
      onJobDone(report: IndexReport) {
        print(formatIndexReport(report));
        resolveDone();
      },
    };
    return { hooks, done };
  };

  const handleLine = (line: string) => withRequest({ platform: 'console' }, () => handleOne(line));
  const handleOne = async (line: string) => {
    try {
      const parsed = await parseLine(line, bot.commands);
      if (!parsed) return;
      const job = jobHooks();
      const reply = await bot.handle(request(parsed), job.hooks);
      print(await replyLines(reply, sheetsDir));
      if (reply.kind !== 'job') return;
      // Typed at a terminal, a job runs while you keep searching; piped in, the script waits for it.
      if (!interactive) return await job.done;
      jobs.add(job.done);
      void job.done.then(() => jobs.delete(job.done));
    } catch (error) {
      // Reading the command's file or saving the sheet failed (the bot itself never throws).
      if (!(error instanceof InputError)) logger.error('console command failed', { line, error });
      print([`error: ${error instanceof Error ? error.message : String(error)}`]);
    }
  };

  const run = async (lines: AsyncIterable<string>) => {
    for await (const line of lines) {
      // Piped input is echoed, so the output reads as a transcript.
      if (!interactive && line.trim() !== '') print([`${prompt}${line}`]);
      await handleLine(line);
      if (interactive) rl?.prompt();
    }
    // Whatever was started finishes (and reports) before the console ends.
    await Promise.all(jobs);
  };

  return {
    platform: 'console',
    finished,
    async start() {
      rl = readline.createInterface({ input, output, terminal: interactive, prompt });
      // Take the iterator now: lines that arrive while the greeting runs are buffered, not lost.
      const lines = rl[Symbol.asyncIterator]();
      print(['lookalike console: type /help for commands, Ctrl-D to quit.']);
      await handleLine('/status');
      if (interactive) rl.prompt();
      void run({ [Symbol.asyncIterator]: () => lines }).finally(finish);
    },
    async stop() {
      rl?.close();
    },
  };
}
