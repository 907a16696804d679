import type { Config } from '../config/schema.js';
import type { TextReader } from '../indexer/text.js';
import type { Embedder } from '../model/types.js';
import type { QuerySessions } from '../search/sessions.js';
import type { SearchService } from '../search/service.js';
import type { SourceRegistry } from '../sources/registry.js';
import type { TenantScope, VectorStore } from '../store/types.js';
import type { Logger } from '../util/log.js';
import type { JobRunner } from './jobs.js';
import type { OptionValues } from './options.js';
import type { CommandRequest, CommandSpec, Reply, ReplyHooks } from './types.js';

/** What every command handler may use: the bot's long-lived parts. */
export interface BotServices {
  config: Config;
  logger: Logger;
  embedder: Embedder;
  /** Reads the words in images while indexing; absent when LOOKALIKE_OCR=false. */
  reader?: TextReader;
  store: VectorStore;
  search: SearchService;
  sessions: QuerySessions;
  jobs: JobRunner;
  /** The folders and URL lists indexed so far, per tenant, with their last runs. */
  registry: SourceRegistry;
}

/** One request being handled: its validated options, the asker's search scope and the reply hooks. */
export interface CommandContext extends BotServices {
  request: CommandRequest;
  options: OptionValues;
  /** Tenant (+ shared folders when LOOKALIKE_INCLUDE_SHARED) and the channels the asker can see. */
  scope: TenantScope;
  hooks: ReplyHooks;
  /** Fires when the command timed out or the bot is closing. */
  signal: AbortSignal;
  /** Every command this bot serves (for help). */
  commands: readonly CommandSpec[];
}

/** A platform-neutral command: its spec (adapters derive registration from it) and its handler. */
export interface Command {
  spec: CommandSpec;
  /** Embeds or searches: runs through the bounded inference queue. */
  inference: boolean;
  run(context: CommandContext): Promise<Reply>;
}
