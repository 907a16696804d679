import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { parseCommandText } from '../../parse.js';
import { respondToRequest } from '../../respond.js';
import { commandOfSlash } from '../../slash-commands.js';

/** `/find snowy mountain 10`, `/reindex`, `/lookalike status`: acknowledged at once, answered in the channel. */
export function slashCommand(deps: SlackContext) {
  return async ({
    command,
    ack,
    respond,
    client,
    context,
  }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    await ack();
    const origin = {
      client,
      teamId: context.teamId ?? command.team_id,
      userId: command.user_id,
      channelId: command.channel_id,
      respond,
    };
    await respondToRequest(deps, origin, () => {
      const { name, spec, text } = commandOfSlash(command.command, command.text, deps.bot.commands);
      return { command: name, options: spec ? parseCommandText(spec, text) : {} };
    });
  };
}
