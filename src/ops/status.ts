import type { Logger } from '../util/log.js';
import { metrics } from './metrics.js';

export type ConnectionState =
  'connecting' | 'connected' | 'resumed' | 'reconnecting' | 'disconnected' | 'stopped';

export interface PartStatus {
  ready: boolean;
  state: string;
  detail?: string;
}

/** While a connection stays down, how often the log says so again (its retries in between go to debug). */
const stillDownEveryMs = 30_000;

interface Outage {
  since: number;
  lastWarned: number;
  attempts: number;
}

/**
 * Each platform connection's state, as its adapter reports it: written to the log as it changes (connecting,
 * connected, resumed, disconnected with the reason) and read by /readyz. A connection that is ready again after
 * it was lost counts as a platform reconnect in the metrics.
 *
 * During an outage the platform libraries retry every half second or so, each retry a disconnect and a
 * reconnect: the first loss is a warning, the retries are debug lines, and every 30 s one warning says it is
 * still down, so an outage of an hour is a few hundred lines rather than tens of thousands.
 */
export class ConnectionStatus {
  private readonly parts = new Map<string, PartStatus>();
  private readonly everReady = new Set<string>();
  private readonly outages = new Map<string, Outage>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  report(platform: string, state: ConnectionState, detail?: string): void {
    const before = this.parts.get(platform);
    if (before?.state === state && before.detail === detail) return;
    const ready = state === 'connected' || state === 'resumed';
    this.parts.set(platform, { ready, state, ...(detail ? { detail } : {}) });
    if (ready && before && !before.ready && this.everReady.has(platform)) {
      metrics.reconnects.inc({ platform });
    }
    if (ready) this.everReady.add(platform);

    const fields: Record<string, unknown> = { platform, state, ...(detail ? { reason: detail } : {}) };
    const message = `${platform} ${platform === 'discord' ? 'gateway' : 'connection'}: ${state}`;
    const outage = this.outages.get(platform);
    const now = this.now();
    if (ready || state === 'stopped') {
      this.outages.delete(platform);
      if (outage) fields.downForMs = now - outage.since;
      this.logger.info(message, fields);
      return;
    }
    if (state === 'connecting' && !outage) {
      this.logger.info(message, fields);
      return;
    }
    if (!outage) {
      this.outages.set(platform, { since: now, lastWarned: now, attempts: 0 });
      this.logger.warn(message, fields);
      return;
    }
    if (state === 'reconnecting') outage.attempts += 1;
    if (now - outage.lastWarned >= stillDownEveryMs) {
      outage.lastWarned = now;
      this.logger.warn(`${platform} ${platform === 'discord' ? 'gateway' : 'connection'}: still down`, {
        ...fields,
        downForMs: now - outage.since,
        attempts: outage.attempts,
      });
    } else {
      this.logger.debug(message, fields);
    }
  }

  /** Every platform's status, by platform. */
  snapshot(): Record<string, PartStatus> {
    return Object.fromEntries(this.parts);
  }
}
