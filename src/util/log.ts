import type { Config } from '../config/schema.js';
import { redactor } from './redact.js';

export { redactor } from './redact.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Line-oriented logger to stderr; secrets redacted, level from LOG_LEVEL. */
export function createLogger(
  config: Partial<Config>,
  sink: (line: string) => void = (l) => console.error(l),
): Logger {
  const redact = redactor(config);
  const min = order[(process.env.LOG_LEVEL as Level) ?? 'info'] ?? order.info;
  const write = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (order[level] < min) return;
    const extra = fields ? ` ${JSON.stringify(fields, (_k, v) => (v instanceof Error ? v.message : v))}` : '';
    sink(redact(`${new Date().toISOString()} ${level} ${message}${extra}`));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
