import { InputError, ServiceError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { RateLimitedError } from './limits.js';
import { BusyError } from './queue.js';
import type { Reply } from './types.js';

/** The command did not finish within LOOKALIKE_COMMAND_TIMEOUT_MS. */
export class CommandTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`command timed out after ${timeoutMs} ms`);
    this.name = 'CommandTimeoutError';
  }
}

export const unavailableText = 'Search is unavailable right now. Please try again in a few minutes.';

/** The last-resort answer to a failure nobody planned for (its details go to the log, never to chat). */
export const apology = 'Something went wrong on my side; it has been logged. Please try again.';

/**
 * The one place a failure becomes words for chat. Expected failures say what to do; anything else gets a
 * generic apology and goes to the log (whose sink redacts secrets). A stack trace never reaches a reply.
 */
export function replyForError(error: unknown, logger: Logger, context: Record<string, unknown>): Reply {
  if (error instanceof InputError) return { kind: 'error', text: error.sentence };
  if (error instanceof RateLimitedError) {
    // Neutral words: the tenant is a Discord server or a Slack workspace.
    const who = error.scope === 'user' ? 'You are' : 'Everyone here together is';
    return {
      kind: 'error',
      text: `${who} sending requests faster than allowed. Try again in ${error.retryAfterSeconds} s.`,
    };
  }
  if (error instanceof BusyError) {
    return { kind: 'error', text: 'I am busy with other searches right now. Please try again in a moment.' };
  }
  if (error instanceof CommandTimeoutError) {
    logger.warn('command timed out', { ...context, timeoutMs: error.timeoutMs });
    return {
      kind: 'error',
      text: `That took longer than ${seconds(error.timeoutMs)} s, so I stopped. Please try again.`,
    };
  }
  if (error instanceof ServiceError) {
    logger.error('service failure', { ...context, service: error.service, error: error.message });
    return { kind: 'error', text: unavailableText };
  }
  logger.error('command failed', { ...context, error: describe(error) });
  return { kind: 'error', text: apology };
}

const seconds = (ms: number) => (ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000)));

function describe(error: unknown): string {
  if (error instanceof Error)
    return `${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}`;
  return String(error);
}
