import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { GatewayDispatchEvents, GatewayOpcodes, type GatewayDispatchPayload } from 'discord.js';

export interface Identify {
  token: string;
  intents: number;
  shard?: [number, number];
}

export interface GatewaySession {
  identify: Identify;
  /** Sequence number of the last dispatch sent. */
  seq: number;
}

export interface GatewayOptions {
  /** Path the WebSocket listens on, e.g. `/gateway`. */
  path: string;
  token: string;
  heartbeatIntervalMs: number;
  /** READY's payload (minus session fields), built when a session identifies. */
  ready: () => { user: unknown; guilds: { id: string; unavailable: true }[]; application: unknown };
  /** Full guild objects sent as GUILD_CREATE right after READY, as Discord does. */
  guildCreates: () => unknown[];
  resumeUrl: () => string;
}

/**
 * The gateway side of the fake: HELLO with a heartbeat interval, IDENTIFY -> READY (+ GUILD_CREATE per
 * guild), heartbeat ACKs, RESUME -> RESUMED, and dispatches the test sends (INTERACTION_CREATE, ...).
 */
export class FakeGateway {
  readonly identifies: Identify[] = [];
  heartbeats = 0;
  private readonly sessions = new Map<WebSocket, GatewaySession>();
  private readonly wss: WebSocketServer;
  private readyWaiters: (() => void)[] = [];
  /** While true, new connections are refused (503), as during a Discord outage or a network cut. */
  private refusing = false;
  private holding = false;
  private readonly heldRefusals: (() => void)[] = [];

  constructor(
    server: Server,
    private readonly options: GatewayOptions,
  ) {
    this.wss = new WebSocketServer({
      server,
      path: options.path,
      verifyClient: (_info, accept) => {
        if (!this.refusing) return accept(true);
        // Held until releaseRefusals(), as through a slow network: the client's attempt stays open meanwhile.
        const refuse = () => accept(false, 503, 'Service Unavailable');
        if (this.holding) this.heldRefusals.push(refuse);
        else refuse();
      },
    });
    this.wss.on('connection', (socket) => this.accept(socket));
  }

  /** Resolves once some client has identified and received READY. */
  whenReady(): Promise<void> {
    if (this.sessions.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Sends a dispatch (op 0) to every identified session. */
  dispatch(t: GatewayDispatchPayload['t'], d: unknown): void {
    for (const [socket, session] of this.sessions) this.sendDispatch(socket, session, t, d);
  }

  /**
   * Cuts every connection without a close frame (what a client sees when the network drops) and refuses new
   * ones until restore(): the client's reconnects fail meanwhile (with `holdRefusals`, only when
   * releaseRefusals() is called).
   */
  drop(options: { holdRefusals?: boolean } = {}): void {
    this.refusing = true;
    this.holding = options.holdRefusals ?? false;
    for (const socket of this.wss.clients) socket.terminate();
  }

  /** Connection attempts held before their refusal (drop with holdRefusals). */
  get heldRefusalCount(): number {
    return this.heldRefusals.length;
  }

  /** Answers every held attempt with its refusal (503), and refuses later ones at once. */
  releaseRefusals(): void {
    this.holding = false;
    for (const refuse of this.heldRefusals.splice(0)) refuse();
  }

  /** Accepts connections again (a resuming client gets RESUMED). */
  restore(): void {
    this.refusing = false;
  }

  async close(): Promise<void> {
    for (const socket of this.wss.clients) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    const send = (payload: { op: GatewayOpcodes; d: unknown; t?: string | null; s?: number | null }) =>
      socket.send(JSON.stringify({ t: null, s: null, ...payload }));
    send({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.options.heartbeatIntervalMs } });
    socket.on('close', () => this.sessions.delete(socket));
    socket.on('message', (raw) => {
      const payload = JSON.parse(String(raw)) as { op: GatewayOpcodes; d: unknown };
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          this.heartbeats += 1;
          send({ op: GatewayOpcodes.HeartbeatAck, d: null });
          return;
        case GatewayOpcodes.Identify:
          return this.identify(socket, payload.d as Identify);
        case GatewayOpcodes.Resume: {
          const session = { identify: { token: this.options.token, intents: 0 }, seq: 0 };
          this.sessions.set(socket, session);
          this.sendDispatch(socket, session, GatewayDispatchEvents.Resumed, {});
          return;
        }
        default:
          return;
      }
    });
  }

  private identify(socket: WebSocket, identify: Identify): void {
    if (identify.token !== this.options.token) {
      socket.close(4004, 'Authentication failed.');
      return;
    }
    this.identifies.push(identify);
    const session: GatewaySession = { identify, seq: 0 };
    this.sessions.set(socket, session);
    this.sendDispatch(socket, session, GatewayDispatchEvents.Ready, {
      v: 10,
      session_id: `session-${this.identifies.length}`,
      resume_gateway_url: this.options.resumeUrl(),
      shard: identify.shard,
      ...this.options.ready(),
    });
    for (const guild of this.options.guildCreates()) {
      this.sendDispatch(socket, session, GatewayDispatchEvents.GuildCreate, guild);
    }
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  private sendDispatch(
    socket: WebSocket,
    session: GatewaySession,
    t: GatewayDispatchPayload['t'],
    d: unknown,
  ) {
    session.seq += 1;
    socket.send(JSON.stringify({ op: GatewayOpcodes.Dispatch, t, s: session.seq, d }));
  }
}
