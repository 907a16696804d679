import { format } from 'node:util';
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/util/log.js';

const rank = { [LogLevel.DEBUG]: 10, [LogLevel.INFO]: 20, [LogLevel.WARN]: 30, [LogLevel.ERROR]: 40 };

/**
 * Socket Mode's client logs every failed (re)connection twice as an error; the connection status lines (slack
 * connection: disconnected with the reason, then "still down" every 30 s) say the same once, so these are debug.
 */
const connectionNoise = /^WebSocket error/;

/** Bolt's and the Web API client's log lines, sent through lookalike's logger (which redacts secrets). */
export function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  let name = 'slack';
  const write =
    (at: LogLevel, send: (message: string, text: string) => void) =>
    (...parts: unknown[]) => {
      const text = format(...parts);
      if (rank[at] >= rank[level]) send(`${name}: ${text}`, text);
    };
  return {
    debug: write(LogLevel.DEBUG, (m) => logger.debug(m)),
    info: write(LogLevel.INFO, (m) => logger.info(m)),
    warn: write(LogLevel.WARN, (m) => logger.warn(m)),
    error: write(LogLevel.ERROR, (m, text) =>
      connectionNoise.test(text) ? logger.debug(m) : logger.error(m),
    ),
    setLevel: (next) => (level = next),
    getLevel: () => level,
    setName: (next) => (name = next),
  };
}
