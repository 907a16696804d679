import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { firstImage, type SlackFile } from '../../files.js';
import { parseCommandText } from '../../parse.js';
import { respondToRequest } from '../../respond.js';
import { findCommand, helpCommand, similarCommand } from '../../slash-commands.js';

type MentionArgs = SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs;

/**
 * `@lookalike` with a picture attached: images like it. With words and no picture: a search for the words
 * (`@lookalike snowy mountain 3`); with neither: help. Answers go to the mention's thread.
 */
export function appMention(deps: SlackContext) {
  return async ({ event, body, client, context }: MentionArgs) => {
    const teamId = context.teamId ?? body.team_id;
    if (!event.user || event.bot_id || !teamId) return;
    const origin = {
      client,
      teamId,
      userId: event.user,
      channelId: event.channel,
      threadTs: event.thread_ts ?? event.ts,
    };
    await respondToRequest(deps, origin, () => {
      const file = firstImage(event.files as SlackFile[] | undefined);
      if (file) return { command: similarCommand, options: {}, file };
      const words = event.text.replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, ' ').trim();
      const find = deps.bot.commands.find((s) => s.name === findCommand);
      if (!words || !find) return { command: helpCommand, options: {} };
      return { command: findCommand, options: parseCommandText(find, words) };
    });
  };
}
