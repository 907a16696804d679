import { pino, stdSerializers, stdTimeFunctions, type DestinationStream, type Logger as Pino } from 'pino';
import pinoPretty from 'pino-pretty';
import type { Config } from '../config/schema.js';
import { redactor, type Redact } from './redact.js';
import { currentRequest } from './request-context.js';

export { redactor } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const levels = new Set<string>(['debug', 'info', 'warn', 'error', 'silent']);

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines all carry `bindings` too. */
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * Structured logs (pino): one JSON object per line when stderr is not a terminal (a service manager, a file,
 * a log shipper), readable coloured lines at a terminal. The level is LOOKALIKE_LOG_LEVEL (default info).
 * Every line passes the redactor last, whatever field a secret hides in; lines written while a request is
 * handled carry its `requestId` and `platform` (see withRequest). `sink` receives each finished line instead
 * of stderr (JSON), so tests can read what was logged.
 */
export function createLogger(config: Partial<Config>, sink?: (line: string) => void): Logger {
  const redact = redactor(config);
  const wanted = config.LOOKALIKE_LOG_LEVEL ?? process.env.LOG_LEVEL;
  const level = wanted !== undefined && levels.has(wanted) ? wanted : 'info';
  const destination: DestinationStream = sink
    ? lines((line) => sink(redact(line)))
    : process.stderr.isTTY
      ? prettyLines(redact)
      : lines((line) => process.stderr.write(`${redact(line)}\n`));
  const logger = pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: stdSerializers.err, err: stdSerializers.err },
      mixin: () => {
        const request = currentRequest();
        return request ? { requestId: request.requestId, platform: request.platform } : {};
      },
    },
    destination,
  );
  return wrap(logger);
}

function wrap(logger: Pino): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
      fields ? logger[level](fields, message) : logger[level](message);
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(logger.child(bindings)),
  };
}

/**
 * A pino destination handing each finished line (without its newline) to `write`, synchronously, with the
 * message right after the level and time (pino writes it last), so a line reads as a sentence then details.
 */
function lines(write: (line: string) => void): DestinationStream {
  return { write: (chunk: string) => write(messageFirst(chunk.replace(/\n$/, ''))) };
}

function messageFirst(line: string): string {
  try {
    const { level, time, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return JSON.stringify({ level, time, msg, ...rest });
  } catch {
    return line;
  }
}

/** Readable lines for a terminal: pino-pretty's formatter on each JSON line, then the redactor. */
function prettyLines(redact: Redact): DestinationStream {
  const format = pinoPretty.prettyFactory({
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return { write: (chunk: string) => void process.stderr.write(redact(format(chunk))) };
}
