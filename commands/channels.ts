import type { Command, CommandContext } from '../src/bot/command.js';
import type { Reply } from '../src/bot/types.js';
import { indexSource, type IndexReport } from '../src/indexer/index.js';
import { ChatChannels } from '../src/sources/chat/channels.js';
import { chatHistoryFor, type ChatHistoryProvider } from '../src/sources/chat/providers.js';
import type { ChatChannelSpec } from '../src/sources/chat/types.js';
import { InputError } from '../src/util/errors.js';

const actions = ['add', 'remove', 'list', 'reindex'];
const dayMs = 86_400_000;
const deleteChunk = 500;

export const channels: Command = {
  spec: {
    name: 'channels',
    description: 'Index the images posted in chat channels: add, remove, list or reindex a channel',
    permission: 'admin',
    options: [
      {
        name: 'action',
        description: 'add, remove, list or reindex; may be followed by the channel (add #photos)',
        type: 'string',
        required: true,
        maxLength: 250,
      },
      { name: 'channel', description: 'The channel (mention, id or name)', type: 'string', maxLength: 200 },
      {
        name: 'days',
        description: 'With add: only images posted in the last this many days (default: all history)',
        type: 'integer',
        min: 1,
        max: 36500,
      },
    ],
  },
  inference: false,
  async run(context) {
    const { request, options } = context;
    const { action, channelText } = parseAction(options);
    const store = new ChatChannels(context.config.LOOKALIKE_DATA_DIR);
    if (action === 'list') return listChannels(store, request.tenant);
    const provider = chatHistoryFor(request.tenant);
    if (!provider)
      throw new InputError('channels', 'indexing chat history is not available on this platform');
    if (channelText === undefined) throw new InputError('channel', `/channels ${action} needs a channel`);
    const channel = await provider.resolveChannel(request.tenant, channelText);
    const spec: ChatChannelSpec = { tenant: request.tenant, channelId: channel.id };
    switch (action) {
      case 'add': {
        const since =
          options.days === undefined
            ? undefined
            : new Date(Date.now() - Number(options.days) * dayMs).toISOString();
        await store.add({
          ...spec,
          ...(since && { since }),
          platform: provider.platform,
          name: channel.name,
          addedAt: new Date().toISOString(),
        });
        return startChannelJob(context, provider, { ...spec, ...(since && { since }) }, channel.name);
      }
      case 'reindex': {
        const entry = await store.get(request.tenant, channel.id);
        if (!entry) throw new InputError('channel', `#${channel.name} is not indexed; add it first`);
        return startChannelJob(context, provider, entry, channel.name);
      }
      default: {
        if (!(await store.remove(request.tenant, channel.id))) {
          throw new InputError('channel', `#${channel.name} is not indexed`);
        }
        const removed = await removeImages(context, provider.open(spec).id);
        return { kind: 'text', text: `Stopped indexing #${channel.name}; removed its ${removed} images.` };
      }
    }
  },
};

/** The verb and the channel, from two options or one text (`add #photos`, as Slack sends a command's words). */
function parseAction(options: CommandContext['options']): { action: string; channelText?: string } {
  const [verb = '', ...rest] = String(options.action).trim().split(/\s+/);
  const action = verb.toLowerCase();
  if (!actions.includes(action)) {
    throw new InputError('action', `must be one of ${actions.join(', ')}, got "${verb}"`);
  }
  const channelText = options.channel === undefined ? rest.join(' ') || undefined : String(options.channel);
  return { action, ...(channelText !== undefined && { channelText }) };
}

async function listChannels(store: ChatChannels, tenant: string): Promise<Reply> {
  const entries = await store.list(tenant);
  if (entries.length === 0)
    return { kind: 'text', text: 'No channels are indexed here yet; add one with /channels add.' };
  const lines = entries.map(
    (e) =>
      `#${e.name} (${e.channelId})${e.since ? ` since ${e.since.slice(0, 10)}` : ''}, added ${e.addedAt.slice(0, 10)}`,
  );
  return { kind: 'text', text: ['Indexed channels:', ...lines].join('\n') };
}

/** Walks one channel's history in the background (the tenant's one job), with progress and a final report. */
function startChannelJob(
  context: CommandContext,
  provider: ChatHistoryProvider,
  spec: ChatChannelSpec,
  name: string,
): Reply {
  const { config, store, embedder, reader, logger, hooks, jobs, request } = context;
  const jobId = jobs.start(request.tenant, `#${name}`, async (id, signal) => {
    const source = provider.open(spec);
    const startedAt = new Date();
    const report = await indexSource({
      source,
      store,
      embedder,
      ...(reader && { reader }),
      logger,
      concurrency: config.LOOKALIKE_CONCURRENCY,
      batchSize: config.LOOKALIKE_BATCH_SIZE,
      onProgress: (progress) => hooks.onProgress?.({ ...progress, jobId: id }),
      signal,
    }).catch((error: unknown) => stoppedReport(source.id, request.tenant, startedAt, `#${name}`, error));
    hooks.onJobDone?.({ ...report, jobId: id });
  });
  return { kind: 'job', jobId, text: `Started indexing the images of #${name} (job ${jobId}).` };
}

/** The report of a walk that stopped (the platform refused the history, the store failed, ...). */
function stoppedReport(
  source: string,
  tenant: string,
  startedAt: Date,
  input: string,
  error: unknown,
): IndexReport {
  return {
    jobId: '',
    source,
    tenant,
    new: 0,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    failed: [{ input, reason: error instanceof Error ? error.message : String(error) }],
    dryRun: false,
    full: false,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
  };
}

async function removeImages(context: CommandContext, source: string): Promise<number> {
  const ids: string[] = [];
  for await (const doc of context.store.scan(context.request.tenant, source)) ids.push(doc.image_id);
  for (let i = 0; i < ids.length; i += deleteChunk) await context.store.delete(ids.slice(i, i + deleteChunk));
  return ids.length;
}
