import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** An acknowledgement the app sent back over the socket. */
export interface SocketAck {
  envelopeId: string;
  payload: unknown;
  at: number;
}

/**
 * Socket Mode's server side: apps.connections.open hands out `url()`, a connecting app gets `hello`, and each
 * request travels as an envelope the app must acknowledge with its envelope_id.
 */
export class FakeSocketMode {
  readonly acks: SocketAck[] = [];
  private readonly wss: WebSocketServer;
  private readonly waiting = new Map<string, (ack: SocketAck) => void>();
  private connectedWaiters: (() => void)[] = [];
  /** While true, new connections are refused (503), as during a Slack outage or a network cut. */
  private refusing = false;

  constructor(
    server: Server,
    private readonly path: string,
  ) {
    this.wss = new WebSocketServer({
      server,
      path,
      verifyClient: (_info, accept) =>
        this.refusing ? accept(false, 503, 'Service Unavailable') : accept(true),
    });
    this.wss.on('connection', (socket) => this.accept(socket));
  }

  url(origin: string): string {
    return `${origin.replace(/^http/, 'ws')}${this.path}?ticket=${randomUUID()}`;
  }

  whenConnected(): Promise<void> {
    if (this.wss.clients.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  /** Sends an envelope to the connected app; resolves with its acknowledgement. */
  send(type: EnvelopeType, payload: unknown, timeoutMs = 10_000): Promise<SocketAck> {
    const envelopeId = randomUUID();
    const message = JSON.stringify({
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      retry_attempt: 0,
      retry_reason: '',
    });
    const [socket] = this.wss.clients;
    if (!socket) return Promise.reject(new Error('no Socket Mode client is connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(envelopeId);
        reject(new Error(`envelope ${envelopeId} (${type}) was not acknowledged within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      socket.send(message);
    });
  }

  /**
   * Cuts every connection without a close frame (what an app sees when the network drops) and refuses new
   * ones until restore(): the app's reconnects fail meanwhile.
   */
  drop(): void {
    this.refusing = true;
    for (const socket of this.wss.clients) socket.terminate();
  }

  /** Accepts connections again. */
  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    for (const socket of this.wss.clients) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'fake-slack' },
        connection_info: { app_id: 'A0LOOKALIKE' },
      }),
    );
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { envelope_id?: string; payload?: unknown };
      if (!message.envelope_id) return;
      const ack = { envelopeId: message.envelope_id, payload: message.payload, at: Date.now() };
      this.acks.push(ack);
      this.waiting.get(message.envelope_id)?.(ack);
      this.waiting.delete(message.envelope_id);
    });
    for (const resolve of this.connectedWaiters.splice(0)) resolve();
  }
}
