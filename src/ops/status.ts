import type { Logger } from '../util/log.js';
import { metrics } from './metrics.js';

export type ConnectionState =
  'connecting' | 'connected' | 'resumed' | 'reconnecting' | 'disconnected' | 'stopped';

export interface PartStatus {
  ready: boolean;
  state: string;
  detail?: string;
}

/**
 * Each platform connection's state, as its adapter reports it: written to the log as it changes (connecting,
 * connected, resumed, disconnected with the reason) and read by /readyz. A connection that went from
 * connected to reconnecting or resumed counts as a platform reconnect in the metrics.
 */
export class ConnectionStatus {
  private readonly parts = new Map<string, PartStatus>();

  constructor(private readonly logger: Logger) {}

  report(platform: string, state: ConnectionState, detail?: string): void {
    const before = this.parts.get(platform);
    if (before?.state === state && before.detail === detail) return;
    const ready = state === 'connected' || state === 'resumed';
    this.parts.set(platform, { ready, state, ...(detail ? { detail } : {}) });
    if (state === 'resumed' || (state === 'connected' && before && before.state !== 'connecting')) {
      metrics.reconnects.inc({ platform });
    }
    const fields = { platform, state, ...(detail ? { reason: detail } : {}) };
    const message = `${platform} ${platform === 'discord' ? 'gateway' : 'connection'}: ${state}`;
    if (state === 'disconnected' || state === 'reconnecting') this.logger.warn(message, fields);
    else this.logger.info(message, fields);
  }

  /** Every platform's status, by platform. */
  snapshot(): Record<string, PartStatus> {
    return Object.fromEntries(this.parts);
  }
}
