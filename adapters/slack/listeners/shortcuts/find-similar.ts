import type { AllMiddlewareArgs, MessageShortcut, SlackShortcutMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { firstImage, type SlackFile } from '../../files.js';
import { respondToRequest } from '../../respond.js';
import { similarCommand, similarShortcut } from '../../slash-commands.js';
import { InputError } from '../../../../src/util/errors.js';

type ShortcutArgs = SlackShortcutMiddlewareArgs<MessageShortcut> & AllMiddlewareArgs;

/** "Find similar images" on a message: images like the message's first picture, answered in its thread. */
export function findSimilarShortcut(deps: SlackContext) {
  return async ({ shortcut, ack, respond, client, context }: ShortcutArgs) => {
    await ack();
    const teamId = context.teamId ?? shortcut.team?.id ?? shortcut.user.team_id;
    if (!teamId) return deps.logger.warn('a Slack shortcut came without a workspace');
    const { message } = shortcut;
    const origin = {
      client,
      teamId,
      userId: shortcut.user.id,
      channelId: shortcut.channel.id,
      threadTs: (message.thread_ts as string | undefined) ?? message.ts,
      respond,
    };
    await respondToRequest(deps, origin, () => {
      const file = firstImage(message.files as SlackFile[] | undefined);
      if (!file) {
        throw new InputError(
          similarShortcut.name,
          'that message has no picture; use it on a message with an image file',
        );
      }
      return { command: similarCommand, options: {}, file };
    });
  };
}
