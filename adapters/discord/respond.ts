import {
  DiscordAPIError,
  MessageFlags,
  RESTJSONErrorCodes,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Message,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import type { Bot, CommandRequest, Reply } from '../../src/bot/types.js';
import { InputError } from '../../src/util/errors.js';
import type { Logger } from '../../src/util/log.js';
import type { ImageLimits } from './images.js';
import { jobStatus } from './job-status.js';
import { resultsMessage, textMessage } from './messages.js';
import type { VisibleChannels } from './request.js';

/** What every interaction handler needs. */
export interface Deps {
  bot: Bot;
  logger: Logger;
  adminRoleId: string | undefined;
  imageLimits: ImageLimits;
  /** Total bytes of files in one reply. */
  uploadBudgetBytes: number;
  /** Least time between two edits of a job's status message. */
  progressIntervalMs: number;
  visibleChannels: VisibleChannels | undefined;
}

export type AnsweredInteraction =
  | ChatInputCommandInteraction<'cached' | 'raw'>
  | MessageContextMenuCommandInteraction<'cached' | 'raw'>
  | ButtonInteraction<'cached' | 'raw'>;

/** An answer that needs no work: given at once, visible only to the asker. */
export async function refuse(interaction: AnsweredInteraction, text: string): Promise<void> {
  await interaction.reply({ ...textMessage(text), flags: MessageFlags.Ephemeral });
}

/**
 * The one way a request is answered: acknowledge first (Discord allows 3 s), then build the request (which
 * may download an image), let the bot handle it, and show its reply. `update` edits the message whose button
 * was pressed (paging) instead of answering with a new one.
 */
export async function respond(
  interaction: AnsweredInteraction,
  deps: Deps,
  prepare: () => Promise<CommandRequest>,
  mode: { update: boolean } = { update: false },
): Promise<void> {
  if (mode.update && interaction.isButton()) await interaction.deferUpdate();
  else await interaction.deferReply();
  const job = jobStatus(statusEditor(interaction), deps.progressIntervalMs, deps.logger);
  let reply: Reply;
  try {
    reply = await deps.bot.handle(await prepare(), job.hooks);
  } catch (error) {
    // The bot never throws; this is the request's own preparation (an image that cannot be used).
    if (!(error instanceof InputError)) throw error;
    reply = { kind: 'error', text: error.message };
  }
  switch (reply.kind) {
    case 'results':
      await interaction.editReply(resultsMessage(reply, interaction.user.id, deps.uploadBudgetBytes));
      return;
    case 'job':
      job.started(reply.text);
      return;
    case 'text':
      if (!reply.ephemeral && !mode.update) {
        await interaction.editReply({ ...textMessage(reply.text), embeds: [], files: [], components: [] });
        return;
      }
      return privately(interaction, reply.text, mode);
    case 'error':
      return privately(interaction, reply.text, mode);
  }
}

/**
 * Ephemeral follow-up. A deferred reply is public and a follow-up to a still-loading reply would take its
 * place (and its visibility), so the loading reply is removed first; a paged message is left as it is.
 */
async function privately(
  interaction: AnsweredInteraction,
  text: string,
  mode: { update: boolean },
): Promise<void> {
  if (!mode.update) await interaction.deleteReply();
  await interaction.followUp({ ...textMessage(text), flags: MessageFlags.Ephemeral });
}

/**
 * Edits the interaction's reply. Interaction tokens expire after 15 minutes, while a reindex may run longer:
 * then the status continues in a channel message of its own.
 */
function statusEditor(interaction: AnsweredInteraction): (text: string) => Promise<unknown> {
  let own: Message | undefined;
  return async (text) => {
    if (own) return own.edit(textMessage(text));
    try {
      return await interaction.editReply({ ...textMessage(text), embeds: [], files: [], components: [] });
    } catch (error) {
      const expired =
        error instanceof DiscordAPIError &&
        (error.code === RESTJSONErrorCodes.InvalidWebhookToken ||
          error.code === RESTJSONErrorCodes.UnknownWebhook);
      if (!expired || !interaction.channel?.isSendable()) throw error;
      own = await interaction.channel.send(textMessage(text));
      return own;
    }
  };
}
