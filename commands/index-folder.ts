import { defineCommand } from '../src/bot/command.js';
import { registeredTarget, startIndexJob } from '../src/bot/indexing.js';
import { sharedTenant } from '../src/store/tenants.js';
import { withConfiguredGlobs } from '../src/indexer/configured-globs.js';
import { describeSource } from '../src/indexer/source-registry.js';
import { InputError } from '../src/util/errors.js';

/**
 * `/index <folder>` in the console: what `lookalike index <folder>` does from the shell (shared folder, tenant
 * `*`), as a background job with progress. Never offered to chat: a folder path names the bot's own disk.
 */
export const indexFolder = defineCommand({
  spec: {
    name: 'index',
    description: 'Index a folder (or URL list) on this machine, shared with every tenant',
    permission: 'admin',
    placement: 'own',
    options: [
      {
        name: 'folder',
        description: 'The folder of images (or a text file of image URLs)',
        type: 'string',
        required: true,
        maxLength: 4096,
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
    if (!context.request.actor.isHostOperator) {
      throw new InputError(
        'index',
        'folders are indexed on the bot machine itself (`lookalike index <folder>`)',
      );
    }
    const described = await describeSource(context.options.folder, { tenant: sharedTenant });
    const descriptor = withConfiguredGlobs(described, context.config);
    return startIndexJob(context, [registeredTarget(context, descriptor)], context.options.full);
  },
});
