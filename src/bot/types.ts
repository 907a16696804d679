import type { ChatHistoryProviders } from '../sources/chat/providers.js';
import type { IndexProgress, IndexReport } from '../indexer/types.js';

export type Permission = 'everyone' | 'admin';

/** An image handed to a command: bytes the adapter already fetched from its platform, or a URL to fetch. */
export type ImageRef = { name: string; bytes: Buffer } | { url: string };

export interface Actor {
  id: string;
  name?: string;
  /** Decided by the adapter from platform permissions (Manage Server, configured role / user ids). */
  isAdmin: boolean;
  /** Sits at the bot's own machine (the console): may also index and reindex shared folders. Chat never sets it. */
  isHostOperator?: boolean;
}

/** A platform-neutral request, produced by an adapter from a chat event (or by the console). */
export interface CommandRequest {
  command: string;
  options: Record<string, string | number | boolean | undefined>;
  image?: ImageRef;
  actor: Actor;
  /** Guild / workspace id; every search is scoped to it. */
  tenant: string;
  channelId?: string;
  /** Channels this actor can see now (chat-history hits outside them are never returned). */
  visibleChannels?: string[];
  /** Largest file the platform accepts in a reply; images over it are re-encoded as smaller thumbnails. */
  uploadLimitBytes?: number;
}

export type { FileAttachment, Reply, ReplyHit } from '../render/reply.js';
import type { Reply } from '../render/reply.js';

/** Hooks an adapter passes so long work can be shown while it runs. */
export interface ReplyHooks {
  onProgress?(progress: IndexProgress): void;
  /** Called once when a started job ends, with its full report. */
  onJobDone?(report: IndexReport): void;
}

/** What a request is known to be before any work: enough to decide a refusal. */
export type RequestDraft = Pick<CommandRequest, 'command' | 'options' | 'actor'>;

/** The platform-neutral bot: adapters turn chat events into requests and render the replies. */
export interface Bot {
  /** Names, options and permissions of the commands it serves (adapters derive platform registration from these). */
  readonly commands: readonly CommandSpec[];
  /**
   * Why the request would be refused without any work (unknown command, no permission, a bad option), or
   * undefined: adapters ask before acknowledging, so a refusal can be answered at once and privately.
   * `handle` applies the same gates.
   */
  refusal(request: RequestDraft): string | undefined;
  /** Where a connected chat adapter offers its channels' history (for /channels). */
  readonly chatHistory: ChatHistoryProviders;
  /** Never throws: every failure becomes a clear `error` reply (no stack traces in chat). */
  handle(request: CommandRequest, hooks?: ReplyHooks): Promise<Reply>;
  close(): Promise<void>;
}

/** One chat platform's connection. Adding a platform means one folder in adapters/ implementing this. */
export interface ChatAdapter {
  readonly platform: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What a platform needs to register a command: its name, description, options and who may run it. */
export interface CommandSpec {
  name: string;
  description: string;
  options: readonly CommandOption[];
  permission: Permission;
  /**
   * Where chat platforms put it: a slash command of its own (`/find`), or a word under the bot's one grouping
   * command (`/lookalike status`), which keeps rarely typed commands from crowding a server's command list.
   */
  placement: 'own' | 'grouped';
}

/**
 * An option as every platform can express it. `image` is an attachment (Discord) or a shared file (Slack);
 * `channel` and `user` are pickers where the platform has them (Discord) and mentions in text elsewhere.
 */
export interface CommandOption {
  name: string;
  description: string;
  type: 'string' | 'integer' | 'boolean' | 'image' | 'channel' | 'user';
  required?: boolean;
  min?: number;
  max?: number;
  maxLength?: number;
  /** Used when the option is absent (shown in help). */
  default?: string | number | boolean;
}
