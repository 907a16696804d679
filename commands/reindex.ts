import { defineCommand } from '../src/bot/command.js';
import {
  registeredTarget,
  reindexableSources,
  startIndexJob,
  startSwitchJob,
  switchPending,
} from '../src/bot/indexing.js';
import type { SourceDescriptor } from '../src/indexer/source-registry.js';
import { InputError, refusal } from '../src/util/errors.js';

export const reindex = defineCommand({
  spec: {
    name: 'reindex',
    description: 'Index the registered folders and URL lists again',
    permission: 'admin',
    placement: 'own',
    options: [
      {
        name: 'source',
        description: 'Only this source: its path, or the end of it (e.g. photos)',
        type: 'string',
        maxLength: 500,
      },
      {
        name: 'full',
        description: 'Rebuild from scratch instead of updating what changed',
        type: 'boolean',
        default: false,
      },
    ],
  },
  inference: false,
  async run(context) {
    const { source, full } = context.options;
    // The bot was started with another model than the index holds: a full reindex is the switch to it.
    if (full && switchPending(context)) {
      if (source !== undefined) {
        throw new InputError(
          'source',
          'a model switch indexes every source again: run /reindex full without one',
        );
      }
      return startSwitchJob(context);
    }
    const sources = await reindexableSources(context);
    if (sources.length === 0) {
      throw refusal(
        'reindex',
        'No folders or URL lists are registered here yet; index one on the bot machine with `lookalike index <folder>`.',
      );
    }
    const wanted = source === undefined ? sources : [pick(sources, source)];
    const targets = wanted.map((descriptor) => registeredTarget(context, descriptor));
    return startIndexJob(context, targets, full);
  },
});

/** The one source whose id or path is, or ends with, the text. */
function pick(sources: SourceDescriptor[], text: string): SourceDescriptor {
  const exact = sources.find((s) => s.id === text || s.path === text);
  if (exact) return exact;
  const matches = sources.filter((s) => s.path.endsWith(`/${text}`) || s.path.endsWith(text));
  if (matches.length === 1) return matches[0] as SourceDescriptor;
  const known = sources.map((s) => s.path).join(', ');
  throw new InputError(
    'source',
    matches.length === 0
      ? `no registered source matches "${text}"; known: ${known}`
      : `"${text}" matches several: ${matches.map((s) => s.path).join(', ')}`,
  );
}
