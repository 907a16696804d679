import { format } from 'node:util';
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/util/log.js';

const rank = { [LogLevel.DEBUG]: 10, [LogLevel.INFO]: 20, [LogLevel.WARN]: 30, [LogLevel.ERROR]: 40 };

/** Bolt's and the Web API client's log lines, sent through lookalike's logger (which redacts secrets). */
export function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  let name = 'slack';
  const write =
    (at: LogLevel, send: (message: string) => void) =>
    (...parts: unknown[]) => {
      if (rank[at] >= rank[level]) send(`${name}: ${format(...parts)}`);
    };
  return {
    debug: write(LogLevel.DEBUG, (m) => logger.debug(m)),
    info: write(LogLevel.INFO, (m) => logger.info(m)),
    warn: write(LogLevel.WARN, (m) => logger.warn(m)),
    error: write(LogLevel.ERROR, (m) => logger.error(m)),
    setLevel: (next) => (level = next),
    getLevel: () => level,
    setName: (next) => (name = next),
  };
}
