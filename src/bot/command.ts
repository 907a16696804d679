import type { Config } from '../config/schema.js';
import type { TextReader } from '../indexer/text.js';
import type { Embedder } from '../model/types.js';
import type { SessionStore } from '../search/sessions.js';
import type { ActiveModel } from '../search/active-model.js';
import type { SearchService } from '../search/service.js';
import type { ChatChannels } from '../sources/chat/channels.js';
import type { ChatHistoryProviders } from '../sources/chat/providers.js';
import type { SourceRegistry } from '../indexer/source-registry.js';
import type { Leases } from '../store/leases/types.js';
import type { TenantScope, VectorStore } from '../store/types.js';
import type { Logger } from '../util/log.js';
import type { JobRunner } from './jobs.js';
import type { OptionValues } from './options.js';
import type { CommandOption, CommandRequest, CommandSpec, Reply, ReplyHooks } from './types.js';

/** What every command handler may use: the bot's long-lived parts. */
export interface BotServices {
  config: Config;
  logger: Logger;
  /** The model this request uses: the one the index holds (an inference command keeps it to the end). */
  embedder: Embedder;
  /** The model in use, swapped with the index when a model switch commits. */
  model: ActiveModel;
  /**
   * The configured model, while the index still holds another (the bot then serves with the index's own):
   * `/reindex full` switches the index to it.
   */
  switchTo?: Embedder;
  /** Reads the words in images while indexing; absent when LOOKALIKE_OCR=false. */
  reader?: TextReader;
  store: VectorStore;
  /** Searches with `embedder`. */
  search: SearchService;
  sessions: SessionStore;
  jobs: JobRunner;
  /** The folders, URL lists and chat channels indexed so far, per tenant, with their last runs. */
  registry: SourceRegistry;
  /** The chat channels admins chose to index. */
  channels: ChatChannels;
  /** Chat history of the platforms this bot is connected to. */
  chatHistory: ChatHistoryProviders;
  /** Claims on sources shared with other bot processes and `lookalike index` runs: one run per source. */
  leases?: Leases;
}

/** The value an option holds once validated (a channel or user option holds the id or mention given). */
type ValueOf<O extends CommandOption> = O['type'] extends 'integer'
  ? number
  : O['type'] extends 'boolean'
    ? boolean
    : string;

/**
 * A command's validated options, typed from its spec: `{ text: string; count: number }` for
 * `/find text:<required> [count, default 5]`; an option with neither `required` nor a default may be
 * undefined. The image travels as `request.image`, not as an option.
 */
export type OptionsOf<S extends CommandSpec> = string extends S['options'][number]['name']
  ? OptionValues // a spec whose names are not known (any command)
  : {
      [O in S['options'][number] as O['type'] extends 'image' ? never : O['name']]: O extends
        { required: true } | { default: string | number | boolean }
        ? ValueOf<O>
        : ValueOf<O> | undefined;
    };

/** One request being handled: its validated options, the asker's search scope and the reply hooks. */
export interface CommandContext<S extends CommandSpec = CommandSpec> extends BotServices {
  request: CommandRequest;
  options: OptionsOf<S>;
  /** Tenant (+ shared folders when LOOKALIKE_INCLUDE_SHARED) and the channels the asker can see. */
  scope: TenantScope;
  hooks: ReplyHooks;
  /** Fires when the command timed out or the bot is closing. */
  signal: AbortSignal;
  /** Every command this bot serves (for help). */
  commands: readonly CommandSpec[];
}

/** What helpers shared by commands get: the request's context without its command-specific options. */
export type RequestContext = Omit<CommandContext, 'options'>;

/** A platform-neutral command: its spec (adapters derive registration from it) and its handler. */
export interface Command<S extends CommandSpec = CommandSpec> {
  spec: S;
  /** Embeds or searches: runs through the bounded inference queue. */
  inference: boolean;
  run(context: CommandContext<S>): Promise<Reply>;
}

/**
 * A command whose handler sees its options typed from its own spec. The bot validates every request against
 * the spec before `run` (validateOptions), which is what makes the narrowing sound.
 */
export function defineCommand<const S extends CommandSpec>(command: Command<S>): Command {
  return command as unknown as Command;
}
