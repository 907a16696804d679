import type { Config } from '../config/schema.js';
import type { TextReader } from '../indexer/text.js';
import type { Embedder } from '../model/types.js';
import { QuerySessions, type SessionStore } from '../search/sessions.js';
import { ActiveModel } from '../search/active-model.js';
import { SearchService } from '../search/service.js';
import type { TextBatcherOptions } from '../search/text-batcher.js';
import { ChatChannels } from '../sources/chat/channels.js';
import { ChatHistoryProviders } from '../sources/chat/providers.js';
import { openSourceRegistry } from '../indexer/source-registry.js';
import type { Leases } from '../store/leases/types.js';
import type { TenantScope, VectorStore } from '../store/types.js';
import type { Logger } from '../util/log.js';
import type { BotServices, Command, CommandContext } from './command.js';
import { CommandTimeoutError, replyForError } from './errors.js';
import { JobRunner } from './jobs.js';
import { RateLimits } from './limits.js';
import { validateOptions } from './options.js';
import { InferenceQueue } from './queue.js';
import { InputError, ServiceError } from '../util/errors.js';
import { metrics, platformLabel } from '../ops/metrics.js';
import { RateLimitedError } from './limits.js';
import { BusyError } from './queue.js';
import type { Bot, CommandRequest, Reply, ReplyHooks, RequestDraft } from './types.js';
import { catalog } from '../model/catalog.js';
import { configuredModel } from '../model/configured.js';

export interface BotOptions {
  config: Config;
  /** The model the index holds, searched with. */
  embedder: Embedder;
  /** Holds `embedder` and swaps it with the index at a model switch (default: a holder of its own). */
  model?: ActiveModel;
  /** The configured model when the index holds another: `/reindex full` switches the index to it. */
  switchTo?: Embedder;
  /** Reads the words in images while indexing (LOOKALIKE_OCR). */
  reader?: TextReader;
  store: VectorStore;
  /** Searches remembered for `more` and "similar to #n" (default: in this process's memory). */
  sessions?: SessionStore;
  /** One index run per source across processes (src/store/leases); the caller closes them. */
  leases?: Leases;
  /** The command set (commands/index.ts); injected because src/ never imports commands/. */
  commands: readonly Command[];
  logger: Logger;
  /**
   * Text micro-batching: window and largest batch (defaults: 0 ms, LOOKALIKE_BATCH_SIZE texts). No window by
   * default: a text arriving while the model is idle runs at once (a wait would add to every lone /find), and
   * under load texts still gather while the model runs the batch before theirs.
   */
  batching?: Partial<TextBatcherOptions>;
  /** Requests embedding or searching at once (default: LOOKALIKE_BATCH_SIZE, so their texts share a batch). */
  inferenceConcurrency?: number;
  /** The indexed chat channels, shared with the live indexer (default: the list under LOOKALIKE_DATA_DIR). */
  channels?: ChatChannels;
  /** False once the process is shutting down: new requests are then answered `restartingText` at once. */
  accepting?: () => boolean;
}

/** The answer to a request that arrives while the bot shuts down. */
export const restartingText = 'I am restarting; please try again in a minute.';

/**
 * The platform-neutral bot. Every request passes the same gates in order: known command, permission,
 * options, rate limits, the bounded inference queue, and the command timeout; every failure becomes one
 * clear reply through replyForError. Search scope always comes from the request's tenant and channels.
 */
export function createBot(options: BotOptions): Bot {
  const { config, logger } = options;
  const byName = new Map(options.commands.map((c) => [c.spec.name, c]));
  const specs = options.commands.map((c) => c.spec);
  const model = options.model ?? new ActiveModel(options.embedder);
  // A model's weak-match level: the configured model's, or (a bot serving the index's own model until a switch)
  // the catalog's for that model. A model folder the catalog does not know has none: no low-confidence note then.
  const lowConfidenceOf = (embedder: Embedder) =>
    !options.switchTo || embedder === options.switchTo
      ? configuredModel(config).model?.lowConfidence
      : catalog.find((m) => embedder.modelId.split('@')[0] === m.folder)?.lowConfidence;
  // One search service per model: a request's model and search always go together.
  const searches = new WeakMap<Embedder, SearchService>();
  const searchWith = (embedder: Embedder) => {
    let search = searches.get(embedder);
    if (!search) {
      const lowConfidence = lowConfidenceOf(embedder);
      search = new SearchService(
        embedder,
        options.store,
        {
          windowMs: options.batching?.windowMs ?? 0,
          maxBatch: options.batching?.maxBatch ?? config.LOOKALIKE_BATCH_SIZE,
        },
        {
          nearCopyCosine: config.LOOKALIKE_NEAR_COPY_COSINE,
          ...(lowConfidence !== undefined && { lowConfidence }),
        },
      );
      searches.set(embedder, search);
    }
    return search;
  };
  const services: BotServices = {
    config,
    logger,
    embedder: model.embedder,
    model,
    ...(options.switchTo && { switchTo: options.switchTo }),
    ...(options.reader && { reader: options.reader }),
    store: options.store,
    search: searchWith(model.embedder),
    sessions: options.sessions ?? new QuerySessions(),
    jobs: new JobRunner(logger),
    registry: openSourceRegistry(config),
    channels: options.channels ?? new ChatChannels(config.LOOKALIKE_DATA_DIR),
    chatHistory: new ChatHistoryProviders(),
    ...(options.leases && { leases: options.leases }),
  };
  const limits = new RateLimits({
    perUserPerMinute: config.LOOKALIKE_RATE_PER_USER_PER_MINUTE,
    perTenantPerMinute: config.LOOKALIKE_RATE_PER_TENANT_PER_MINUTE,
  });
  const queue = new InferenceQueue({
    concurrency: options.inferenceConcurrency ?? config.LOOKALIKE_BATCH_SIZE,
    maxWaiting: config.LOOKALIKE_QUEUE_MAX,
  });
  metrics.setQueueDepthSource(() => queue.depth);
  const closing = new AbortController();

  const scopeOf = (request: CommandRequest): TenantScope => ({
    tenant: request.tenant,
    includeShared: config.LOOKALIKE_INCLUDE_SHARED,
    ...(request.visibleChannels ? { visibleChannels: request.visibleChannels } : {}),
  });

  /** The gates that need no work: known command, permission, options. */
  const refusal = (request: RequestDraft): string | undefined => {
    const command = byName.get(request.command);
    if (!command) {
      const names = specs.map((s) => `/${s.name}`).join(', ');
      return `Unknown command /${request.command}. Try ${names}.`;
    }
    if (command.spec.permission === 'admin' && !request.actor.isAdmin) {
      return `Only admins may use /${command.spec.name}.`;
    }
    try {
      validateOptions(command.spec, request);
    } catch (error) {
      if (error instanceof InputError) return error.message;
      throw error;
    }
    return undefined;
  };

  const execute = async (command: Command, request: CommandRequest, hooks: ReplyHooks): Promise<Reply> => {
    const refused = refusal(request);
    if (refused) return { kind: 'error', text: refused };
    const values = validateOptions(command.spec, request);
    await limits.take(request.tenant, request.actor.id);
    const timeoutMs = config.LOOKALIKE_COMMAND_TIMEOUT_MS;
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, closing.signal]);
    const context: CommandContext = {
      ...services,
      request,
      options: values,
      scope: scopeOf(request),
      hooks,
      signal,
      commands: specs,
    };
    // An inference command embeds and searches with one model from start to end, even across a model switch.
    const runWith = (embedder: Embedder) =>
      command.run({ ...context, embedder, search: searchWith(embedder) });
    const work = () => {
      signal.throwIfAborted();
      return command.inference ? model.use(runWith) : runWith(model.embedder);
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new CommandTimeoutError(timeoutMs));
        reject(new CommandTimeoutError(timeoutMs));
      }, timeoutMs);
    });
    try {
      return await Promise.race([command.inference ? queue.run(work, signal) : work(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    commands: specs,
    chatHistory: services.chatHistory,
    refusal,
    async handle(request, hooks = {}) {
      const command = byName.get(request.command);
      const context = { command: request.command, tenant: request.tenant, actor: request.actor.id };
      const started = performance.now();
      const done = (reply: Reply, outcome: Outcome): Reply => {
        const ms = performance.now() - started;
        const platform = platformLabel();
        const name = command ? request.command : 'unknown';
        metrics.commands.inc({ platform, command: name, outcome });
        metrics.replySeconds.observe({ platform, command: name }, ms / 1000);
        if (
          outcome === 'refused' ||
          outcome === 'rate_limited' ||
          outcome === 'busy' ||
          outcome === 'shutting_down'
        ) {
          metrics.rejected.inc({ reason: outcome });
        }
        logger.info('command handled', { ...context, outcome, ms: Math.round(ms) });
        return reply;
      };
      if (options.accepting && !options.accepting()) {
        return done({ kind: 'error', text: restartingText }, 'shutting_down');
      }
      if (!command) return done({ kind: 'error', text: refusal(request)! }, 'refused');
      try {
        const reply = await execute(command, request, hooks);
        return done(reply, reply.kind === 'error' ? 'refused' : 'ok');
      } catch (error) {
        return done(replyForError(error, logger, context), outcomeOf(error));
      }
    },
    async close() {
      closing.abort();
      await services.jobs.close();
      await queue.idle();
    },
  };
}

type Outcome =
  | 'ok'
  | 'shutting_down'
  | 'refused'
  | 'bad_input'
  | 'rate_limited'
  | 'busy'
  | 'timeout'
  | 'unavailable'
  | 'failed';

/** The metrics label of a failed request. */
function outcomeOf(error: unknown): Outcome {
  if (error instanceof InputError) return 'bad_input';
  if (error instanceof RateLimitedError) return 'rate_limited';
  if (error instanceof BusyError) return 'busy';
  if (error instanceof CommandTimeoutError) return 'timeout';
  if (error instanceof ServiceError) return 'unavailable';
  return 'failed';
}
