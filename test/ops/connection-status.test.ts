// The connection status log during a long outage: the platform libraries retry about twice a second, and each
// retry is a disconnect and a reconnect. The log says the loss once (with the reason), then "still down" every
// 30 s, then how long it was down when it is back; the retries in between are debug lines.
import { describe, expect, it } from 'vitest';
import { ConnectionStatus } from '../../src/ops/status.js';
import { createLogger } from '../../src/util/log.js';

interface Line {
  level: string;
  msg: string;
  reason?: string;
  downForMs?: number;
}

describe('ConnectionStatus', () => {
  it('logs an hour of retries as one warning per 30 s, and the time it was down', () => {
    const lines: Line[] = [];
    let now = 0;
    const status = new ConnectionStatus(
      createLogger({ LOOKALIKE_LOG_LEVEL: 'info' }, (line) => lines.push(JSON.parse(line) as Line)),
      () => now,
    );
    status.report('discord', 'connecting');
    status.report('discord', 'connected');
    status.report('discord', 'disconnected', 'gateway closed (1006)');
    for (now = 500; now < 3_600_000; now += 500) {
      status.report('discord', 'reconnecting', 'Unexpected server response: 503');
      status.report('discord', 'disconnected', 'gateway closed (1006)');
    }
    status.report('discord', 'resumed');

    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings[0]).toMatchObject({
      msg: 'discord gateway: disconnected',
      reason: 'gateway closed (1006)',
    });
    expect(warnings.slice(1).every((l) => l.msg === 'discord gateway: still down')).toBe(true);
    expect(warnings.length).toBe(1 + 3_600_000 / 30_000 - 1);
    expect(lines.at(-1)).toMatchObject({
      level: 'info',
      msg: 'discord gateway: resumed',
      downForMs: 3_600_000,
    });
    expect(status.snapshot().discord).toMatchObject({ ready: true, state: 'resumed' });
  });

  it('is not ready while down, and warns again for the next outage', () => {
    const lines: Line[] = [];
    const status = new ConnectionStatus(
      createLogger({ LOOKALIKE_LOG_LEVEL: 'info' }, (line) => lines.push(JSON.parse(line) as Line)),
    );
    status.report('slack', 'connected');
    status.report('slack', 'disconnected', 'connection lost');
    expect(status.snapshot().slack).toMatchObject({ ready: false, state: 'disconnected' });
    status.report('slack', 'connecting');
    status.report('slack', 'connected');
    status.report('slack', 'disconnected', 'connection lost');
    expect(lines.filter((l) => l.msg === 'slack connection: disconnected')).toHaveLength(2);
  });
});
