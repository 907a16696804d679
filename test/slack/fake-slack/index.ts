import { EventEmitter } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockProblems } from './blocks.js';
import { readArgs, readRaw, uploadedBytes, type ApiArgs } from './body.js';
import { FakeFileHost, slackFileHosts } from './file-host.js';
import { FakeSocketMode } from './socket-mode.js';

export { FakeFileHost, otherHost, slackFileHosts } from './file-host.js';

export interface FakeTeam {
  id: string;
  name: string;
  domain: string;
}

export interface FakeChannel {
  id: string;
  name: string;
  teamId: string;
  isPrivate?: boolean;
  /** User ids in the conversation; the bot takes part when its own user id is among them. */
  members: string[];
}

export interface FakeUsergroup {
  id: string;
  teamId: string;
  users: string[];
}

export interface FakeSlackOptions {
  botToken: string;
  appToken?: string;
  teams: FakeTeam[];
  channels: FakeChannel[];
  usergroups?: FakeUsergroup[];
  /** The bot token's scopes (default: every scope); the listing methods answer `missing_scope` without theirs. */
  scopes?: string[];
}

/** One Web API call as the client made it, with what the fake answered. */
export interface ApiCall {
  method: string;
  args: ApiArgs;
  headers: IncomingHttpHeaders;
  /** `Date.now()` when it arrived. */
  at: number;
  status: number;
  response: Record<string, unknown> | undefined;
}

/** A file as Slack describes it (the fields a bot reads). */
export interface SlackFileObject {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  url_private: string;
  url_private_download: string;
}

export interface StoredFile {
  id: string;
  name: string;
  title?: string;
  altText?: string;
  declaredLength: number;
  bytes?: Buffer;
  /** Authorization header of the upload POST. */
  uploadAuthorization?: string;
}

export interface Edit {
  at: number;
  text: string | undefined;
  blocks: unknown;
}

export interface Message {
  channel: string;
  ts: string;
  thread_ts?: string;
  /** `thread_broadcast`: a thread reply also sent to the channel. */
  subtype?: string;
  user?: string;
  bot_id?: string;
  text: string;
  blocks?: unknown;
  files?: SlackFileObject[] | StoredFile[];
  /** How it got there: an API method or a response URL. */
  via: string;
  edits: Edit[];
}

export interface Ephemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown;
  thread_ts?: string;
  via: 'chat.postEphemeral' | 'response_url';
}

interface ResponseUrl {
  channel: string;
  user: string;
  uses: number;
}

type Answer = { status: number; body?: Record<string, unknown>; headers?: Record<string, string> };

const ok = (body: Record<string, unknown> = {}): Answer => ({ status: 200, body: { ok: true, ...body } });
const fail = (error: string, extra: Record<string, unknown> = {}): Answer => ({
  status: 200,
  body: { ok: false, error, ...extra },
});

/** Slack lets a response URL be used 5 times. */
const responseUrlUses = 5;

/** The scope a bot token needs to list conversations of each type. */
const listingScopes: Record<string, string> = {
  public_channel: 'channels:read',
  private_channel: 'groups:read',
  mpim: 'mpim:read',
  im: 'im:read',
};

/**
 * A local stand-in for Slack: the Web API under `<origin>/api/`, the upload URLs files.getUploadURLExternal hands
 * out, response URLs, Socket Mode (apps.connections.open + a WebSocket), and the file hosts (FakeFileHost). It keeps
 * what a bot can observe (channels and who is in them, messages and their edits, ephemeral messages, uploaded
 * files, user groups), enforces the rules that matter to a bot (tokens, membership, Block Kit limits, the
 * three-step upload, 429 with Retry-After on request) and records every call.
 */
export class FakeSlack {
  readonly calls: ApiCall[] = [];
  readonly messages: Message[] = [];
  readonly ephemerals: Ephemeral[] = [];
  readonly uploads = new Map<string, StoredFile>();
  readonly botUserId = 'U0LOOKALIKE';
  readonly botId = 'B0LOOKALIKE';
  readonly appId = 'A0LOOKALIKE';
  private readonly sharedFiles = new Map<string, SlackFileObject>();
  private readonly responseUrls = new Map<string, ResponseUrl>();
  private readonly rateLimits: { method: string; retryAfterSeconds: number }[] = [];
  private readonly events = new EventEmitter();
  private origin = '';
  private counter = 0;
  private lastTs = 0;
  socket!: FakeSocketMode;

  private constructor(
    private readonly server: Server,
    readonly files: FakeFileHost,
    readonly options: FakeSlackOptions,
  ) {}

  static async start(options: FakeSlackOptions): Promise<FakeSlack> {
    const files = await FakeFileHost.start(options.botToken);
    const server = createServer();
    const fake = new FakeSlack(server, files, options);
    server.on('request', (req, res) => void fake.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fake.socket = new FakeSocketMode(server, '/socket-mode');
    return fake;
  }

  /** SLACK_API_URL for the client under test. */
  get apiUrl(): string {
    return `${this.origin}/api/`;
  }

  channel(id: string): FakeChannel {
    const channel = this.options.channels.find((c) => c.id === id);
    if (!channel) throw new Error(`no fake channel ${id}`);
    return channel;
  }

  /** A response URL for an interaction in `channel` by `user` (Slack puts one in every command and action). */
  responseUrl(channel: string, user: string): string {
    const id = `R${++this.counter}`;
    this.responseUrls.set(id, { channel, user, uses: 0 });
    return `${this.origin}/response/${id}`;
  }

  /** A file someone shared, hosted on a Slack file host (or any URL given), as Slack describes it. */
  addFile(file: {
    name: string;
    bytes: Buffer;
    mimetype: string;
    url?: string;
    declaredSize?: number;
  }): SlackFileObject {
    const id = `F${String(++this.counter).padStart(8, '0')}`;
    const url =
      file.url ?? `https://${slackFileHosts[0]}/files-pri/T0-${id}/${encodeURIComponent(file.name)}`;
    if (slackFileHosts.some((h) => url.startsWith(`https://${h}/`)))
      this.files.put(url, file.bytes, file.mimetype);
    const object: SlackFileObject = {
      id,
      name: file.name,
      title: file.name,
      mimetype: file.mimetype,
      filetype: file.mimetype.split('/')[1] ?? 'binary',
      size: file.declaredSize ?? file.bytes.length,
      url_private: url,
      url_private_download: url,
    };
    this.sharedFiles.set(id, object);
    return object;
  }

  /** A message a person posted (what shortcuts and mentions point at). */
  userMessage(channel: string, user: string, text: string, files?: SlackFileObject[]): Message {
    const message: Message = {
      channel,
      ts: this.nextTs(),
      user,
      text,
      via: 'user',
      edits: [],
      ...(files ? { files } : {}),
    };
    this.messages.push(message);
    return message;
  }

  /** A reply someone posted in the thread of `parent` (`broadcast`: also sent to the channel). */
  threadReply(
    parent: Message,
    user: string,
    text: string,
    files?: SlackFileObject[],
    options: { broadcast?: boolean } = {},
  ): Message {
    const message: Message = {
      channel: parent.channel,
      ts: this.nextTs(),
      thread_ts: parent.ts,
      user,
      text,
      via: 'user',
      edits: [],
      ...(options.broadcast ? { subtype: 'thread_broadcast' } : {}),
      ...(files ? { files } : {}),
    };
    this.messages.push(message);
    return message;
  }

  /** Messages the bot posted in a channel (and thread), in order. */
  botMessages(channel: string, threadTs?: string): Message[] {
    return this.messages.filter(
      (m) =>
        m.channel === channel && m.via !== 'user' && (threadTs === undefined || m.thread_ts === threadTs),
    );
  }

  ephemeralsFor(user: string): Ephemeral[] {
    return this.ephemerals.filter((e) => e.user === user);
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Answers the next call of `method` with 429 and Retry-After, as Slack's rate limiter does. */
  rateLimitNext(method: string, retryAfterSeconds: number): void {
    this.rateLimits.push({ method, retryAfterSeconds });
  }

  /** Resolves with the first call (past or future) matching `predicate`. */
  waitForCall(predicate: (call: ApiCall) => boolean, timeoutMs = 15_000): Promise<ApiCall> {
    return this.waitFor('call', () => this.calls.find(predicate), timeoutMs);
  }

  /** Resolves with the first ephemeral message (past or future) for `user`. */
  waitForEphemeral(user: string, timeoutMs = 15_000): Promise<Ephemeral> {
    return this.waitFor('ephemeral', () => this.ephemerals.find((e) => e.user === user), timeoutMs);
  }

  /** Resolves with the first message the bot posts (past or future) matching `predicate`. */
  waitForMessage(predicate: (message: Message) => boolean, timeoutMs = 15_000): Promise<Message> {
    return this.waitFor(
      'message',
      () => this.messages.find((m) => m.via !== 'user' && predicate(m)),
      timeoutMs,
    );
  }

  describeCalls(): string {
    return this.calls.map((c) => `${c.method} -> ${c.status} ${String(c.response?.error ?? '')}`).join('; ');
  }

  async close(): Promise<void> {
    await this.socket.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.files.close();
  }

  private waitFor<T>(event: string, find: () => T | undefined, timeoutMs: number): Promise<T> {
    const seen = find();
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        clearTimeout(timer);
        this.events.off(event, check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.events.off(event, check);
        reject(new Error(`nothing matching arrived within ${timeoutMs} ms; calls: ${this.describeCalls()}`));
      }, timeoutMs);
      this.events.on(event, check);
    });
  }

  private nextTs(): string {
    // Slack's ts: seconds with six digits, unique and increasing within a channel.
    this.lastTs = Math.max(this.lastTs + 1, Date.now() * 1000);
    return `${Math.floor(this.lastTs / 1e6)}.${String(this.lastTs % 1e6).padStart(6, '0')}`;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const raw = await readRaw(req);
    let answer: Answer;
    if (url.pathname.startsWith('/api/')) {
      answer = await this.apiCall(url.pathname.slice('/api/'.length), req, raw);
    } else if (url.pathname.startsWith('/upload/')) {
      answer = await this.upload(url.pathname.slice('/upload/'.length), req, raw);
    } else if (url.pathname.startsWith('/response/')) {
      answer = this.respond(
        url.pathname.slice('/response/'.length),
        JSON.parse(raw.toString('utf8') || '{}'),
      );
    } else {
      answer = { status: 404, body: { ok: false, error: 'unknown_path' } };
    }
    res
      .writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers })
      .end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }

  private async apiCall(method: string, req: IncomingMessage, raw: Buffer): Promise<Answer> {
    const args = await readArgs(req, raw);
    const call: ApiCall = {
      method,
      args,
      headers: req.headers,
      at: Date.now(),
      status: 0,
      response: undefined,
    };
    const answer = this.answer(call);
    call.status = answer.status;
    call.response = answer.body;
    this.calls.push(call);
    this.events.emit('call');
    return answer;
  }

  private answer(call: ApiCall): Answer {
    const limit = this.rateLimits.findIndex((r) => r.method === call.method);
    if (limit >= 0) {
      const [rule] = this.rateLimits.splice(limit, 1);
      return {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(rule!.retryAfterSeconds) },
      };
    }
    const token = bearer(call.headers.authorization) ?? (call.args.token as string | undefined);
    if (call.method === 'apps.connections.open') {
      if (!this.options.appToken || token !== this.options.appToken) return fail('invalid_auth');
      return ok({ url: this.socket.url(this.origin) });
    }
    if (token === undefined) return fail('not_authed');
    if (token !== this.options.botToken) return fail('invalid_auth');
    const handler = this.methods[call.method];
    return handler ? handler(call.args) : fail('unknown_method');
  }

  private readonly methods: Record<string, (args: ApiArgs) => Answer> = {
    'auth.test': () => {
      const team = this.options.teams[0]!;
      return ok({
        url: `https://${team.domain}.slack.com/`,
        team: team.name,
        user: 'lookalike',
        team_id: team.id,
        user_id: this.botUserId,
        bot_id: this.botId,
      });
    },
    'chat.postMessage': (args) => this.postMessage(args, 'chat.postMessage'),
    'chat.update': (args) => {
      const message = this.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
      if (!message) return fail('message_not_found');
      if (message.bot_id !== this.botId) return fail('cant_update_message');
      const problems = args.blocks === undefined ? [] : blockProblems(args.blocks);
      if (problems.length > 0) return fail('invalid_blocks', { errors: problems });
      message.edits.push({ at: Date.now(), text: args.text as string | undefined, blocks: args.blocks });
      if (typeof args.text === 'string') message.text = args.text;
      if (args.blocks !== undefined) message.blocks = args.blocks;
      this.events.emit('message');
      return ok({ channel: message.channel, ts: message.ts, text: message.text });
    },
    'chat.postEphemeral': (args) => {
      const channel = this.options.channels.find((c) => c.id === args.channel);
      if (!channel) return fail('channel_not_found');
      if (!channel.members.includes(this.botUserId)) return fail('not_in_channel');
      if (!channel.members.includes(String(args.user))) return fail('user_not_in_channel');
      if (!args.text && !args.blocks) return fail('no_text');
      this.ephemerals.push({
        channel: channel.id,
        user: String(args.user),
        text: String(args.text ?? ''),
        via: 'chat.postEphemeral',
        ...(args.blocks ? { blocks: args.blocks } : {}),
        ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
      });
      this.events.emit('ephemeral');
      return ok({ message_ts: this.nextTs() });
    },
    'files.getUploadURLExternal': (args) => {
      const length = Number(args.length);
      if (!args.filename || !Number.isInteger(length) || length <= 0) return fail('invalid_arguments');
      const id = `F${String(++this.counter).padStart(8, '0')}`;
      this.uploads.set(id, {
        id,
        name: String(args.filename),
        declaredLength: length,
        ...(args.alt_txt || args.alt_text ? { altText: String(args.alt_txt ?? args.alt_text) } : {}),
      });
      return ok({ upload_url: `${this.origin}/upload/${id}`, file_id: id });
    },
    'files.completeUploadExternal': (args) => {
      const listed = args.files as { id: string; title?: string }[] | undefined;
      if (!Array.isArray(listed) || listed.length === 0) return fail('invalid_arguments');
      const stored: StoredFile[] = [];
      for (const { id, title } of listed) {
        const file = this.uploads.get(id);
        if (!file?.bytes || file.bytes.length !== file.declaredLength) return fail('file_not_found');
        if (title) file.title = title;
        stored.push(file);
      }
      if (args.channel_id) {
        const channel = this.options.channels.find((c) => c.id === args.channel_id);
        if (!channel) return fail('channel_not_found');
        if (!channel.members.includes(this.botUserId)) return fail('not_in_channel');
        this.messages.push({
          channel: channel.id,
          ts: this.nextTs(),
          bot_id: this.botId,
          user: this.botUserId,
          text: String(args.initial_comment ?? ''),
          files: stored,
          via: 'files.completeUploadExternal',
          edits: [],
          ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
        });
        this.events.emit('message');
      }
      return ok({ files: stored.map((f) => ({ id: f.id, name: f.name, title: f.title ?? f.name })) });
    },
    'files.info': (args) => {
      const file = this.sharedFiles.get(String(args.file));
      return file ? ok({ file }) : fail('file_not_found');
    },
    'usergroups.users.list': (args) => {
      const group = this.options.usergroups?.find((g) => g.id === args.usergroup);
      return group ? ok({ users: group.users }) : fail('no_such_subteam');
    },
    'conversations.list': (args) => this.listChannels(args, () => true),
    'conversations.info': (args) => {
      const channel = this.options.channels.find((c) => c.id === args.channel);
      if (!channel || (channel.isPrivate && !channel.members.includes(this.botUserId)))
        return fail('channel_not_found');
      return ok({ channel: this.channelObject(channel) });
    },
    'users.conversations': (args) => {
      const user = String(args.user ?? this.botUserId);
      return this.listChannels(args, (c) => c.members.includes(user));
    },
    'conversations.history': (args) => {
      const channel = this.options.channels.find((c) => c.id === args.channel);
      if (!channel) return fail('channel_not_found');
      if (!channel.members.includes(this.botUserId)) return fail('not_in_channel');
      // Thread replies stay in conversations.replies, unless they were also sent to the channel.
      const top = this.messages.filter(
        (m) =>
          m.channel === channel.id &&
          (!m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast'),
      );
      return ok(
        this.paged(
          args,
          'messages',
          [...top].reverse().map((m) => this.withThread(m)),
        ),
      );
    },
    'conversations.replies': (args) => {
      const channel = this.options.channels.find((c) => c.id === args.channel);
      if (!channel) return fail('channel_not_found');
      if (!channel.members.includes(this.botUserId)) return fail('not_in_channel');
      const thread = this.messages.filter(
        (m) => m.channel === channel.id && (m.ts === args.ts || m.thread_ts === args.ts),
      );
      return thread.length
        ? ok(
            this.paged(
              args,
              'messages',
              thread.map((m) => this.withThread(m)),
            ),
          )
        : fail('thread_not_found');
    },
  };

  private postMessage(args: ApiArgs, via: string): Answer {
    const channel = this.options.channels.find((c) => c.id === args.channel);
    if (!channel) return fail('channel_not_found');
    if (!channel.members.includes(this.botUserId)) return fail('not_in_channel');
    if (!args.text && !args.blocks) return fail('no_text');
    const problems = args.blocks === undefined ? [] : blockProblems(args.blocks);
    if (problems.length > 0) return fail('invalid_blocks', { errors: problems });
    const message: Message = {
      channel: channel.id,
      ts: this.nextTs(),
      bot_id: this.botId,
      user: this.botUserId,
      text: String(args.text ?? ''),
      via,
      edits: [],
      ...(args.blocks !== undefined ? { blocks: args.blocks } : {}),
      ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
    };
    this.messages.push(message);
    this.events.emit('message');
    return ok({ channel: channel.id, ts: message.ts, message: messageObject(message) });
  }

  private async upload(fileId: string, req: IncomingMessage, raw: Buffer): Promise<Answer> {
    const file = this.uploads.get(fileId);
    this.calls.push({
      method: 'upload',
      args: { file_id: fileId },
      headers: req.headers,
      at: Date.now(),
      status: 200,
      response: undefined,
    });
    this.events.emit('call');
    if (!file) return { status: 404, body: { ok: false, error: 'file_not_found' } };
    file.bytes = await uploadedBytes(req, raw);
    if (typeof req.headers.authorization === 'string') file.uploadAuthorization = req.headers.authorization;
    return { status: 200, body: { ok: true, size: file.bytes.length } };
  }

  private respond(id: string, body: Record<string, unknown>): Answer {
    const target = this.responseUrls.get(id);
    if (!target || target.uses >= responseUrlUses)
      return { status: 404, body: { ok: false, error: 'expired_url' } };
    target.uses += 1;
    this.calls.push({
      method: 'response_url',
      args: body,
      headers: {},
      at: Date.now(),
      status: 200,
      response: undefined,
    });
    this.events.emit('call');
    const problems = body.blocks === undefined ? [] : blockProblems(body.blocks);
    if (problems.length > 0)
      return { status: 400, body: { ok: false, error: 'invalid_blocks', errors: problems } };
    if (body.response_type === 'in_channel') {
      this.messages.push({
        channel: target.channel,
        ts: this.nextTs(),
        bot_id: this.botId,
        text: String(body.text ?? ''),
        via: 'response_url',
        edits: [],
        ...(body.blocks !== undefined ? { blocks: body.blocks } : {}),
      });
      this.events.emit('message');
    } else {
      this.ephemerals.push({
        channel: target.channel,
        user: target.user,
        text: String(body.text ?? ''),
        via: 'response_url',
        ...(body.blocks !== undefined ? { blocks: body.blocks } : {}),
      });
      this.events.emit('ephemeral');
    }
    return { status: 200, body: { ok: true } };
  }

  /**
   * A page of the channels of the requested types that pass `keep`, as conversations.list and users.conversations
   * answer: with a bot token, private channels only where the bot is a member.
   */
  private listChannels(args: ApiArgs, keep: (channel: FakeChannel) => boolean) {
    const types = String(args.types ?? 'public_channel').split(',');
    const missing = this.missingListingScope(types);
    if (missing) return missing;
    const channels = this.options.channels
      .filter((c) => types.includes(c.isPrivate ? 'private_channel' : 'public_channel'))
      .filter((c) => !c.isPrivate || c.members.includes(this.botUserId))
      .filter(keep);
    return ok(
      this.paged(
        args,
        'channels',
        channels.map((c) => this.channelObject(c)),
      ),
    );
  }

  private paged<T>(args: ApiArgs, key: string, items: T[]): Record<string, unknown> {
    const limit = Math.max(1, Math.min(Number(args.limit) || 100, 1000));
    const start = Number(args.cursor ? Buffer.from(String(args.cursor), 'base64url').toString() : 0);
    const page = items.slice(start, start + limit);
    const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : '';
    return { [key]: page, has_more: next !== '', response_metadata: { next_cursor: next } };
  }

  /** `missing_scope` as Slack answers it when the token cannot list one of these conversation types. */
  private missingListingScope(types: string[]): Answer | undefined {
    const { scopes } = this.options;
    const needed = types.map((t) => listingScopes[t]).find((s) => s && scopes && !scopes.includes(s));
    return needed ? fail('missing_scope', { needed, provided: (scopes ?? []).join(',') }) : undefined;
  }

  /** A message as history and replies list it: a thread's parent carries the thread's counts. */
  private withThread(message: Message): Record<string, unknown> {
    const replies = this.messages.filter(
      (m) => m.channel === message.channel && m.thread_ts === message.ts && m.ts !== message.ts,
    );
    const object = messageObject(message);
    if (replies.length === 0) return object;
    const users = [...new Set(replies.flatMap((r) => (r.user ? [r.user] : [])))];
    return {
      ...object,
      thread_ts: message.ts,
      reply_count: replies.length,
      reply_users: users,
      reply_users_count: users.length,
      latest_reply: replies.at(-1)!.ts,
    };
  }

  private channelObject(channel: FakeChannel): Record<string, unknown> {
    return {
      id: channel.id,
      name: channel.name,
      is_channel: !channel.isPrivate,
      is_group: Boolean(channel.isPrivate),
      is_private: Boolean(channel.isPrivate),
      is_member: channel.members.includes(this.botUserId),
      is_archived: false,
      context_team_id: channel.teamId,
    };
  }
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

/** A message as conversations.history and interaction payloads show it. */
export function messageObject(message: Message): Record<string, unknown> {
  return {
    type: 'message',
    ts: message.ts,
    text: message.text,
    ...(message.user ? { user: message.user } : {}),
    ...(message.bot_id ? { bot_id: message.bot_id } : {}),
    ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
    ...(message.subtype ? { subtype: message.subtype } : {}),
    ...(message.blocks !== undefined ? { blocks: message.blocks } : {}),
    ...(message.files ? { files: message.files } : {}),
  };
}
