import { defineCommand, type RequestContext } from '../src/bot/command.js';
import { startIndexJob } from '../src/bot/indexing.js';
import type { Reply } from '../src/bot/types.js';
import type { ChatChannels } from '../src/sources/chat/channels.js';
import type { ChatHistoryProvider } from '../src/sources/chat/providers.js';
import type { ChatChannelSpec } from '../src/sources/chat/types.js';
import { InputError, refusal } from '../src/util/errors.js';

const actions = ['add', 'remove', 'list', 'reindex'];
const dayMs = 86_400_000;
const deleteChunk = 500;

export const channels = defineCommand({
  spec: {
    name: 'channels',
    description: 'Index the images posted in chat channels: add, remove, list or reindex a channel',
    permission: 'admin',
    placement: 'own',
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
    const store = context.channels;
    if (action === 'list') return listChannels(store, request.tenant);
    const provider = context.chatHistory.for(request.tenant);
    if (!provider) throw refusal('channels', 'Indexing chat history is not available on this platform.');
    if (channelText === undefined) throw new InputError('channel', `/channels ${action} needs a channel`);
    const channel = await provider.resolveChannel(request.tenant, channelText);
    const spec: ChatChannelSpec = { tenant: request.tenant, channelId: channel.id };
    switch (action) {
      case 'add': {
        const since =
          options.days === undefined ? undefined : new Date(Date.now() - options.days * dayMs).toISOString();
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
});

/** The verb and the channel, from two options or one text (`add #photos`, as Slack sends a command's words). */
function parseAction(options: { action: string; channel: string | undefined }): {
  action: string;
  channelText?: string;
} {
  const [verb = '', ...rest] = options.action.trim().split(/\s+/);
  const action = verb.toLowerCase();
  if (!actions.includes(action)) {
    throw new InputError('action', `must be one of ${actions.join(', ')}, got "${verb}"`);
  }
  const channelText = options.channel ?? (rest.join(' ') || undefined);
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

/** Walks one channel's history in the background (the tenant's one job), recorded for /status like a folder. */
function startChannelJob(
  context: RequestContext,
  provider: ChatHistoryProvider,
  spec: ChatChannelSpec,
  name: string,
): Reply {
  const source = provider.open(spec);
  const descriptor = { id: source.id, kind: 'chat' as const, path: `#${name}`, tenant: spec.tenant };
  return startIndexJob(context, [{ descriptor, open: async () => source }], false);
}

async function removeImages(context: RequestContext, source: string): Promise<number> {
  const ids: string[] = [];
  for await (const doc of context.store.scan(context.request.tenant, source)) ids.push(doc.image_id);
  for (let i = 0; i < ids.length; i += deleteChunk) await context.store.delete(ids.slice(i, i + deleteChunk));
  return ids.length;
}
