import { EventEmitter } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GatewayDispatchEvents,
  InteractionResponseType,
  MessageFlags,
  MessageType,
  type APIAttachment,
  type APIInteraction,
  type APIMessage,
  type APIUser,
} from 'discord.js';
import { FakeCdn } from './cdn.js';
import { FakeGateway } from './gateway.js';
import { readBody, type UploadedFile } from './http-body.js';
import { guildCreate, snowflake, user, type FakeGuild } from './payloads.js';

export { FakeCdn } from './cdn.js';
export * as payloads from './payloads.js';

/** One REST request the fake received, as the client sent it, with the status it got. */
export interface RestCall {
  method: string;
  /** Path under the API base and version, e.g. `/interactions/1/tok/callback`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** JSON body, or a multipart request's `payload_json`. */
  body: Record<string, unknown> | unknown[] | undefined;
  files: UploadedFile[];
  /** `Date.now()` when the request arrived. */
  at: number;
  status: number;
}

interface Answer {
  status: number;
  json?: unknown;
  headers?: Record<string, string>;
}

interface InteractionState {
  id: string;
  dispatchedAt: number;
  acknowledged: boolean;
  channelId: string | undefined;
  /** The message `@original` refers to: the reply once acknowledged, or the clicked message for components. */
  originalId: string | undefined;
  followUpIds: string[];
}

interface RateLimitRule {
  method: string;
  path: RegExp;
  retryAfterSeconds: number;
  global: boolean;
}

type Handler = (params: string[], call: RestCall) => Answer;

export interface FakeDiscordOptions {
  token: string;
  applicationId?: string;
  guilds: FakeGuild[];
  /** Heartbeat interval announced in HELLO. */
  heartbeatIntervalMs?: number;
}

/** Discord's own limit: an interaction must be acknowledged within 3 s or its token is unknown. */
const ackDeadlineMs = 3000;
const ephemeral = Number(MessageFlags.Ephemeral);
const loading = Number(MessageFlags.Loading);

const errorAnswer = (status: number, code: number, message: string): Answer => ({
  status,
  json: { code, message },
});

/**
 * A local stand-in for Discord: REST under `<origin>/api/v10`, the gateway WebSocket, and the CDN (see
 * FakeCdn). It keeps the state a bot can observe (guilds, channels, messages, interaction replies, registered
 * commands), enforces Discord's rules that matter to a bot (3 s acknowledgement deadline, one acknowledgement
 * per interaction, no webhook calls before it nor after the token's lifetime, Bot token on authenticated
 * routes) and records every call.
 */
export class FakeDiscord {
  readonly calls: RestCall[] = [];
  readonly applicationId: string;
  readonly botUser: APIUser;
  readonly messages = new Map<string, APIMessage>();
  /** Registered commands by scope: `global` or a guild id. */
  readonly commands = new Map<string, unknown[]>();
  /** How long an interaction token works for webhook calls (Discord: 15 minutes); tests may shorten it. */
  interactionTokenLifetimeMs = 15 * 60_000;
  private readonly interactions = new Map<string, InteractionState>();
  private readonly rateLimits: RateLimitRule[] = [];
  private readonly failures: { method: string; path: RegExp; answer: Answer }[] = [];
  private readonly events = new EventEmitter();
  private readonly routes: [string, RegExp, Handler][] = [];
  private gateway!: FakeGateway;
  private origin = '';

  private constructor(
    private readonly server: Server,
    readonly cdn: FakeCdn,
    private readonly options: FakeDiscordOptions,
  ) {
    this.applicationId = options.applicationId ?? snowflake();
    this.botUser = user(this.applicationId, 'lookalike', true);
    this.addRoutes();
  }

  static async start(options: FakeDiscordOptions): Promise<FakeDiscord> {
    const cdn = await FakeCdn.start();
    const server = createServer();
    const fake = new FakeDiscord(server, cdn, options);
    server.on('request', (req, res) => void fake.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake.origin = `http://127.0.0.1:${port}`;
    fake.gateway = new FakeGateway(server, {
      path: '/gateway',
      token: options.token,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      resumeUrl: () => fake.gatewayUrl,
      ready: () => ({
        user: fake.botUser,
        guilds: options.guilds.map((g) => ({ id: g.id, unavailable: true as const })),
        application: { id: fake.applicationId, flags: 0 },
      }),
      guildCreates: () => options.guilds.map(guildCreate),
    });
    return fake;
  }

  /** What a client passes as its REST `api` option (discord.js appends `/v10`). */
  get apiBase(): string {
    return `${this.origin}/api`;
  }

  get gatewayUrl(): string {
    return `${this.origin.replace('http', 'ws')}/gateway`;
  }

  get identifies() {
    return this.gateway.identifies;
  }

  /** Heartbeats received (each answered with an ACK). */
  get heartbeats() {
    return this.gateway.heartbeats;
  }

  whenConnected(): Promise<void> {
    return this.gateway.whenReady();
  }

  /** Drops the gateway connection and refuses reconnects until restoreGateway() (an outage or network cut). */
  dropGateway(options: { holdRefusals?: boolean } = {}): void {
    this.gateway.drop(options);
  }

  /** Gateway connection attempts held before their refusal (dropGateway with holdRefusals). */
  get heldGatewayRefusals(): number {
    return this.gateway.heldRefusalCount;
  }

  releaseGatewayRefusals(): void {
    this.gateway.releaseRefusals();
  }

  restoreGateway(): void {
    this.gateway.restore();
  }

  /** Sends INTERACTION_CREATE to the connected bot and starts its 3 s acknowledgement clock. */
  interact(payload: APIInteraction): { id: string; token: string; at: number } {
    const at = Date.now();
    this.interactions.set(payload.token, {
      id: payload.id,
      dispatchedAt: at,
      acknowledged: false,
      channelId: payload.channel?.id,
      originalId: 'message' in payload && payload.message ? payload.message.id : undefined,
      followUpIds: [],
    });
    if ('message' in payload && payload.message) this.messages.set(payload.message.id, payload.message);
    this.gateway.dispatch(GatewayDispatchEvents.InteractionCreate, payload);
    return { id: payload.id, token: payload.token, at };
  }

  /** Stores a message someone posted (e.g. the target of a context-menu command). */
  addMessage(message: APIMessage): APIMessage {
    this.messages.set(message.id, message);
    return message;
  }

  /** The message an interaction's `@original` currently is (its reply, as last edited). */
  original(token: string): APIMessage | undefined {
    const id = this.interactions.get(token)?.originalId;
    return id ? this.messages.get(id) : undefined;
  }

  followUps(token: string): APIMessage[] {
    return (this.interactions.get(token)?.followUpIds ?? []).flatMap((id) => this.messages.get(id) ?? []);
  }

  /** REST calls made with this interaction's token (callback, edits, follow-ups), in order. */
  callsFor(token: string): RestCall[] {
    return this.calls.filter((c) => c.path.split('/').includes(token));
  }

  /** Answers the next matching request with an error, as Discord does for a body it refuses. */
  failNext(method: string, path: RegExp, status: number, code: number, message: string): void {
    this.failures.push({ method, path, answer: errorAnswer(status, code, message) });
  }

  /** Answers the next matching request with 429 and Discord's rate-limit headers. */
  rateLimitNext(
    method: string,
    path: RegExp,
    retryAfterSeconds: number,
    options: { global?: boolean } = {},
  ): void {
    this.rateLimits.push({ method, path, retryAfterSeconds, global: options.global ?? false });
  }

  /** Resolves with the first recorded call (past or future) matching `predicate`. */
  waitForCall(predicate: (call: RestCall) => boolean, timeoutMs = 15_000): Promise<RestCall> {
    const seen = this.calls.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onCall = (call: RestCall) => {
        if (!predicate(call)) return;
        clearTimeout(timer);
        this.events.off('call', onCall);
        resolve(call);
      };
      const timer = setTimeout(() => {
        this.events.off('call', onCall);
        reject(new Error(`no matching REST call within ${timeoutMs} ms; calls: ${this.describeCalls()}`));
      }, timeoutMs);
      this.events.on('call', onCall);
    });
  }

  describeCalls(): string {
    return this.calls.map((c) => `${c.method} ${c.path} -> ${c.status}`).join('; ');
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.cdn.close();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const pathname = decodeURIComponent(url.pathname);
    const prefix = '/api/v10';
    const { json, files } = await readBody(req);
    const call: RestCall = {
      method: req.method ?? 'GET',
      path: pathname.startsWith(prefix) ? pathname.slice(prefix.length) : pathname,
      query: url.searchParams,
      headers: req.headers,
      body: json as RestCall['body'],
      files,
      at: Date.now(),
      status: 0,
    };
    const answer = this.answer(call, pathname.startsWith(prefix));
    call.status = answer.status;
    this.calls.push(call);
    this.events.emit('call', call);
    const headers = {
      ...answer.headers,
      ...(answer.json === undefined ? {} : { 'content-type': 'application/json' }),
    };
    res
      .writeHead(answer.status, headers)
      .end(answer.json === undefined ? undefined : JSON.stringify(answer.json));
  }

  private answer(call: RestCall, versioned: boolean): Answer {
    if (!versioned) return errorAnswer(404, 0, '404: Not Found');
    const limit = this.rateLimits.findIndex((r) => r.method === call.method && r.path.test(call.path));
    if (limit >= 0) return this.tooManyRequests(this.rateLimits.splice(limit, 1)[0]!);
    const failure = this.failures.findIndex((f) => f.method === call.method && f.path.test(call.path));
    if (failure >= 0) return this.failures.splice(failure, 1)[0]!.answer;
    for (const [method, pattern, handler] of this.routes) {
      const match = method === call.method ? pattern.exec(call.path) : null;
      if (match) return handler(match.slice(1), call);
    }
    return errorAnswer(404, 0, '404: Not Found');
  }

  private tooManyRequests(rule: RateLimitRule): Answer {
    const seconds = rule.retryAfterSeconds;
    return {
      status: 429,
      json: { message: 'You are being rate limited.', retry_after: seconds, global: rule.global, code: 0 },
      headers: {
        'retry-after': String(seconds),
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Date.now() / 1000 + seconds),
        'x-ratelimit-reset-after': String(seconds),
        'x-ratelimit-bucket': 'fake-bucket',
        'x-ratelimit-scope': rule.global ? 'global' : 'user',
        ...(rule.global ? { 'x-ratelimit-global': 'true' } : {}),
      },
    };
  }

  private route(method: string, pattern: string, handler: Handler, auth = true): void {
    const regex = new RegExp(`^${pattern.replace(/:\w+/g, '([^/]+)')}$`);
    this.routes.push([
      method,
      regex,
      (params, call) =>
        auth && call.headers.authorization !== `Bot ${this.options.token}`
          ? errorAnswer(401, 0, '401: Unauthorized')
          : handler(params, call),
    ]);
  }

  private addRoutes(): void {
    this.route('GET', '/gateway', () => ({ status: 200, json: { url: this.gatewayUrl } }), false);
    this.route('GET', '/gateway/bot', () => ({
      status: 200,
      json: {
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
      },
    }));
    this.route('GET', '/users/@me', () => ({ status: 200, json: this.botUser }));

    // Interactions: the callback (no auth, 3 s deadline, once), then the webhook with the interaction's token.
    this.route(
      'POST',
      '/interactions/:id/:token/callback',
      ([id, token], call) => this.callback(id!, token!, call),
      false,
    );
    this.route(
      'PATCH',
      '/webhooks/:app/:token/messages/:message',
      (p, call) => this.editWebhookMessage(p, call),
      false,
    );
    this.route(
      'GET',
      '/webhooks/:app/:token/messages/:message',
      (p) => this.webhookMessage(p, (m) => m),
      false,
    );
    this.route(
      'DELETE',
      '/webhooks/:app/:token/messages/:message',
      (p) => this.deleteWebhookMessage(p),
      false,
    );
    this.route('POST', '/webhooks/:app/:token', (p, call) => this.followUp(p, call), false);

    // Channel messages (progress messages outliving an interaction token; chat history).
    this.route('GET', '/channels/:channel/messages', ([channel], call) => this.history(channel!, call.query));
    this.route('POST', '/channels/:channel/messages', ([channel], call) => ({
      status: 200,
      json: this.createMessage(channel!, call, MessageType.Default),
    }));
    this.route('GET', '/channels/:channel/messages/:message', ([channel, id]) => {
      const message = this.messages.get(id!);
      return message?.channel_id === channel
        ? { status: 200, json: message }
        : errorAnswer(404, 10008, 'Unknown Message');
    });
    this.route('PATCH', '/channels/:channel/messages/:message', ([, id], call) => {
      const message = this.messages.get(id!);
      return message
        ? { status: 200, json: this.editMessage(message, call) }
        : errorAnswer(404, 10008, 'Unknown Message');
    });

    // Command registration (PUT replaces the whole list, as Discord's bulk overwrite does).
    const putCommands = (scope: string, call: RestCall): Answer => {
      if (!Array.isArray(call.body)) return errorAnswer(400, 50035, 'Invalid Form Body');
      const saved = call.body.map((c) => ({
        id: snowflake(),
        application_id: this.applicationId,
        version: snowflake(),
        ...(scope === 'global' ? {} : { guild_id: scope }),
        ...(c as object),
      }));
      this.commands.set(scope, saved);
      return { status: 200, json: saved };
    };
    this.route('PUT', '/applications/:app/commands', (_p, call) => putCommands('global', call));
    this.route('PUT', '/applications/:app/guilds/:guild/commands', ([, guild], call) =>
      putCommands(guild!, call),
    );
    this.route('GET', '/applications/:app/commands', () => ({
      status: 200,
      json: this.commands.get('global') ?? [],
    }));
  }

  private callback(id: string, token: string, call: RestCall): Answer {
    const state = this.interactions.get(token);
    if (!state || state.id !== id || call.at - state.dispatchedAt > ackDeadlineMs) {
      return errorAnswer(404, 10062, 'Unknown interaction');
    }
    if (state.acknowledged) return errorAnswer(400, 40060, 'Interaction has already been acknowledged.');
    const { type, data } = call.body as { type: InteractionResponseType; data?: { flags?: number } };
    const reply = (body: object) =>
      this.createMessage(
        state.channelId ?? snowflake(),
        { body: body as RestCall['body'], files: call.files },
        MessageType.ChatInputCommand,
      );
    state.acknowledged = true;
    switch (type) {
      case InteractionResponseType.DeferredChannelMessageWithSource:
        state.originalId = reply({ flags: loading | ((data?.flags ?? 0) & ephemeral) }).id;
        break;
      case InteractionResponseType.ChannelMessageWithSource:
        state.originalId = reply(data ?? {}).id;
        break;
      case InteractionResponseType.UpdateMessage: {
        const message = state.originalId ? this.messages.get(state.originalId) : undefined;
        if (!message) return errorAnswer(400, 50035, 'Invalid Form Body');
        this.editMessage(message, { body: data as RestCall['body'], files: call.files });
        break;
      }
      case InteractionResponseType.DeferredMessageUpdate:
        if (!state.originalId) return errorAnswer(400, 50035, 'Invalid Form Body');
        break;
      default:
        return errorAnswer(400, 50035, 'Invalid Form Body');
    }
    return { status: 204 };
  }

  /** The interaction a webhook call refers to, if its application and token are right and it was acknowledged. */
  private webhookInteraction(app: string, token: string): InteractionState | Answer {
    const state = this.interactions.get(token);
    if (app !== this.applicationId || !state?.acknowledged) return errorAnswer(404, 10015, 'Unknown Webhook');
    if (Date.now() - state.dispatchedAt > this.interactionTokenLifetimeMs)
      return errorAnswer(401, 50027, 'Invalid Webhook Token');
    return state;
  }

  private webhookMessage([app, token, which]: string[], then: (message: APIMessage) => unknown): Answer {
    const state = this.webhookInteraction(app!, token!);
    if ('status' in state) return state;
    const id = which === '@original' ? state.originalId : which;
    const message = id ? this.messages.get(id) : undefined;
    if (!message || (id !== state.originalId && !state.followUpIds.includes(id!))) {
      return errorAnswer(404, 10008, 'Unknown Message');
    }
    return { status: 200, json: then(message) };
  }

  private editWebhookMessage(params: string[], call: RestCall): Answer {
    return this.webhookMessage(params, (message) => this.editMessage(message, call));
  }

  private deleteWebhookMessage(params: string[]): Answer {
    const answer = this.webhookMessage(params, (message) => this.messages.delete(message.id));
    return answer.status === 200 ? { status: 204 } : answer;
  }

  private followUp([app, token]: string[], call: RestCall): Answer {
    const state = this.webhookInteraction(app!, token!);
    if ('status' in state) return state;
    const message = this.createMessage(state.channelId ?? snowflake(), call, MessageType.Default);
    state.followUpIds.push(message.id);
    return { status: 200, json: message };
  }

  private createMessage(
    channelId: string,
    call: Pick<RestCall, 'body' | 'files'>,
    type: MessageType,
  ): APIMessage {
    const message: APIMessage = {
      id: snowflake(),
      channel_id: channelId,
      author: this.botUser,
      content: '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type,
      components: [],
      webhook_id: type === MessageType.Default ? undefined : this.applicationId,
      application_id: this.applicationId,
    };
    this.messages.set(message.id, message);
    return this.editMessage(message, call, true);
  }

  /** Applies a create/edit body: fields present replace; `attachments` lists what remains (new files by index). */
  private editMessage(
    message: APIMessage,
    call: Pick<RestCall, 'body' | 'files'>,
    creating = false,
  ): APIMessage {
    const body = (call.body ?? {}) as Partial<APIMessage> & { attachments?: { id: string | number }[] };
    if (body.content !== undefined) message.content = body.content ?? '';
    if (body.embeds !== undefined) message.embeds = body.embeds ?? [];
    if (body.components !== undefined) message.components = body.components ?? [];
    if (body.flags !== undefined) message.flags = body.flags;
    if (!creating) {
      message.flags = (message.flags ?? 0) & ~loading;
      message.edited_timestamp = new Date().toISOString();
    }
    const uploaded = (index: string | number) => call.files.find((f) => f.field === `files[${index}]`);
    if (body.attachments !== undefined) {
      message.attachments = body.attachments.flatMap((a) => {
        const file = uploaded(a.id);
        if (file) return [this.storeAttachment(message.channel_id, file)];
        return message.attachments.filter((old) => old.id === String(a.id));
      });
    } else if (call.files.length > 0) {
      message.attachments = [
        ...message.attachments,
        ...call.files.map((f) => this.storeAttachment(message.channel_id, f)),
      ];
    }
    return message;
  }

  /** Uploaded files become CDN attachments the fake CDN serves, like Discord's. */
  private storeAttachment(channelId: string, file: UploadedFile): APIAttachment {
    const id = snowflake();
    const path = `/attachments/${channelId}/${id}/${file.name}`;
    this.cdn.put(`https://cdn.discordapp.com${path}`, file.bytes, file.contentType);
    this.cdn.put(`https://media.discordapp.net${path}`, file.bytes, file.contentType);
    return {
      id,
      filename: file.name,
      size: file.bytes.length,
      url: `https://cdn.discordapp.com${path}`,
      proxy_url: `https://media.discordapp.net${path}`,
      content_type: file.contentType,
    };
  }

  /** GET /channels/:id/messages: newest first, `limit` (1..100, default 50), `before` / `after` by id. */
  private history(channelId: string, query: URLSearchParams): Answer {
    const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50)));
    const before = query.get('before');
    const after = query.get('after');
    const list = [...this.messages.values()]
      .filter((m) => m.channel_id === channelId)
      .filter((m) => (before ? BigInt(m.id) < BigInt(before) : true))
      .filter((m) => (after ? BigInt(m.id) > BigInt(after) : true))
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1))
      .slice(0, limit);
    return { status: 200, json: list };
  }
}
