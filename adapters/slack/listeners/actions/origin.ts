import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { SlackOrigin } from '../../context.js';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * A button press answers next to the message it is on (same channel, same thread). The workspace is the
 * presser's, as Bolt works it out, so a press can only ever reach that workspace's results.
 */
export function buttonOrigin({ body, client, context, respond }: ButtonArgs): SlackOrigin | undefined {
  const teamId = context.teamId ?? body.team?.id ?? body.user.team_id;
  const channelId = body.channel?.id ?? (body.container.channel_id as string | undefined);
  if (!teamId || !channelId) return undefined;
  const threadTs =
    (body.message?.thread_ts as string | undefined) ?? (body.container.thread_ts as string | undefined);
  return { client, teamId, userId: body.user.id, channelId, respond, ...(threadTs ? { threadTs } : {}) };
}
