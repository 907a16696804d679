import type { CommandSpec, Reply } from '../../src/bot/types.js';
import type { Logger } from '../../src/util/log.js';
import type { SlackOrigin } from './context.js';
import { resultsMessage, slackText, type SlackMessage } from './messages.js';
import type { SlackVisibility } from './visibility.js';

/** Where a posted message is, for later edits. */
export interface PostedMessage {
  channel: string;
  ts: string;
}

/** Slack's answers when the bot is not a member of the conversation it was asked in. */
const notInChannel = new Set(['not_in_channel', 'channel_not_found']);

const platformError = (error: unknown): string | undefined =>
  (error as { data?: { error?: string } })?.data?.error;

/**
 * Posts in the asker's channel or thread. When the bot is not in that conversation, the interaction's
 * response URL posts there instead (visible to everyone, but not editable and without files): undefined then.
 */
export async function post(origin: SlackOrigin, message: SlackMessage): Promise<PostedMessage | undefined> {
  try {
    const posted = await origin.client.chat.postMessage({
      channel: origin.channelId,
      ...(origin.threadTs ? { thread_ts: origin.threadTs } : {}),
      text: message.text,
      ...(message.blocks ? { blocks: message.blocks } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    return { channel: posted.channel ?? origin.channelId, ts: posted.ts as string };
  } catch (error) {
    const code = platformError(error);
    if (!origin.respond || code === undefined || !notInChannel.has(code)) throw error;
    const invite = 'Invite me to this channel (`/invite @lookalike`) to get pictures and live progress here.';
    await origin.respond({
      response_type: 'in_channel',
      replace_original: false,
      text: message.text,
      ...(message.blocks
        ? { blocks: [...message.blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: invite }] }] }
        : {}),
    });
    return undefined;
  }
}

/** Only the asker sees it: through the response URL when there is one, else chat.postEphemeral. */
export async function ephemeral(origin: SlackOrigin, message: string | SlackMessage): Promise<void> {
  const { text, blocks } = typeof message === 'string' ? { text: message, blocks: undefined } : message;
  if (origin.respond) {
    await origin.respond({
      response_type: 'ephemeral',
      replace_original: false,
      text,
      ...(blocks && { blocks }),
    });
    return;
  }
  await origin.client.chat.postEphemeral({
    channel: origin.channelId,
    user: origin.userId,
    text,
    ...(blocks && { blocks }),
    ...(origin.threadTs ? { thread_ts: origin.threadTs } : {}),
  });
}

const privateResultsNote =
  'Only you can see these results: some come from conversations that not everyone here is in.';

/** Whether every hit may be shown to everyone in the answer's channel. */
const postableHits = (
  reply: Extract<Reply, { kind: 'results' }>,
  visibility: Pick<SlackVisibility, 'postable'>,
) => reply.hits.every(({ hit }) => hit.channel_id === undefined || visibility.postable(hit.channel_id));

/**
 * A bot reply in Slack's terms. Results: the Block Kit list, then the contact sheet uploaded next to it
 * (files.uploadV2); results holding images from a conversation that not everyone in the answer's channel is in
 * go to the asker alone, as an ephemeral list without the sheet. Errors and private texts: ephemeral. A job:
 * its status message, returned for the edits.
 */
export async function deliverReply(
  origin: SlackOrigin,
  reply: Reply,
  specs: readonly CommandSpec[],
  logger: Logger,
  visibility: Pick<SlackVisibility, 'postable'>,
): Promise<PostedMessage | undefined> {
  switch (reply.kind) {
    case 'results': {
      const message = resultsMessage(reply, origin.userId);
      if (!postableHits(reply, visibility)) {
        const note = {
          type: 'context' as const,
          elements: [{ type: 'mrkdwn' as const, text: privateResultsNote }],
        };
        await ephemeral(origin, { text: message.text, blocks: [...(message.blocks ?? []), note] });
        return undefined;
      }
      const posted = await post(origin, message);
      if (posted) await uploadSheet(origin, posted, reply, logger);
      return undefined;
    }
    case 'text':
      if (reply.ephemeral) {
        await ephemeral(origin, slackText(reply.text, specs));
        return undefined;
      }
      await post(origin, { text: slackText(reply.text, specs) });
      return undefined;
    case 'error':
      await ephemeral(origin, `:warning: ${slackText(reply.text, specs)}`);
      return undefined;
    case 'job':
      return post(origin, { text: slackText(reply.text, specs) });
  }
}

/**
 * The contact sheet next to its results (files.uploadV2: get an upload URL, send the bytes, complete the
 * upload into the channel or thread). The list is already there, so a failed upload is only logged.
 */
async function uploadSheet(
  origin: SlackOrigin,
  posted: PostedMessage,
  reply: Extract<Reply, { kind: 'results' }>,
  logger: Logger,
): Promise<void> {
  const sheet = reply.contactSheet;
  if (!sheet) return;
  const first = reply.hits[0]?.rank ?? 1;
  const destination = origin.threadTs
    ? { channel_id: posted.channel, thread_ts: origin.threadTs }
    : { channel_id: posted.channel };
  try {
    await origin.client.files.uploadV2({
      ...destination,
      file: sheet.bytes,
      filename: sheet.name,
      title: `Results ${first}–${first + reply.hits.length - 1}`,
      alt_text: `Contact sheet of the results for ${reply.title}`.slice(0, 1000),
    });
  } catch (error) {
    logger.warn('could not upload a contact sheet to Slack', { channel: posted.channel, error });
  }
}
