import {
  DiscordAPIError,
  MessageFlags,
  RESTJSONErrorCodes,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Message,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import { apology } from '../../src/bot/errors.js';
import type { CommandRequest, ImageRef, Reply } from '../../src/bot/types.js';
import { InputError } from '../../src/util/errors.js';
import type { DiscordContext } from './context.js';
import { jobStatus } from './job-status.js';
import { resultsMessage, textMessage } from './messages.js';
import { actorOf, requestFrom } from './request.js';

export type AnsweredInteraction =
  | ChatInputCommandInteraction<'cached' | 'raw'>
  | MessageContextMenuCommandInteraction<'cached' | 'raw'>
  | ButtonInteraction<'cached' | 'raw'>;

/** An answer that needs no work: given at once, visible only to the asker. */
export async function refuse(
  interaction: AnsweredInteraction,
  deps: DiscordContext,
  text: string,
): Promise<void> {
  await interaction.reply({ ...textMessage(text, deps.bot.commands), flags: MessageFlags.Ephemeral });
}

/** What an interaction asks for; the image (a download) is fetched only once the request is acknowledged. */
export interface Ask extends Pick<CommandRequest, 'command' | 'options'> {
  image?: () => Promise<ImageRef>;
}

/**
 * The one way a request is answered. What can be refused without work (permission, options) is refused at
 * once and privately; otherwise acknowledge (Discord allows 3 s), then build the request (which may download
 * an image), let the bot handle it, and show its reply. `update` edits the message whose button was pressed
 * (paging) instead of answering with a new one.
 */
export async function respond(
  interaction: AnsweredInteraction,
  deps: DiscordContext,
  ask: Ask,
  mode: { update: boolean } = { update: false },
): Promise<void> {
  const actor = actorOf(interaction, deps.adminRoleId);
  const refusal = deps.bot.refusal({ command: ask.command, options: ask.options, actor });
  if (refusal) return refuse(interaction, deps, refusal);
  if (mode.update && interaction.isButton()) await interaction.deferUpdate();
  else await interaction.deferReply();
  try {
    await answer(interaction, deps, ask, mode);
  } catch (error) {
    // Once acknowledged, even a failure is answered privately (see `privately`).
    deps.logger.error('discord: interaction failed', { id: interaction.id, type: interaction.type, error });
    await privately(interaction, deps, apology, mode);
  }
}

async function answer(
  interaction: AnsweredInteraction,
  deps: DiscordContext,
  ask: Ask,
  mode: { update: boolean },
): Promise<void> {
  const job = jobStatus(statusEditor(interaction, deps), deps.progressIntervalMs, deps.logger);
  let reply: Reply;
  try {
    const { image, ...fields } = ask;
    const request = await requestFrom(
      interaction,
      { ...fields, ...(image && { image: await image() }) },
      deps,
    );
    reply = await deps.bot.handle(request, job.hooks);
  } catch (error) {
    // The bot never throws; this is the request's own preparation (an image that cannot be used).
    if (!(error instanceof InputError)) throw error;
    reply = { kind: 'error', text: error.sentence };
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
        await interaction.editReply(replacing(textMessage(reply.text, deps.bot.commands)));
        return;
      }
      return privately(interaction, deps, reply.text, mode);
    case 'error':
      return privately(interaction, deps, reply.text, mode);
  }
}

/** A text that replaces whatever the reply showed before. */
const replacing = (message: { content: string }) => ({ ...message, embeds: [], files: [], components: [] });

/**
 * Ephemeral follow-up. A deferred reply is public and a follow-up to a still-loading reply would take its
 * place (and its visibility), so the loading reply is removed first; a paged message is left as it is.
 */
async function privately(
  interaction: AnsweredInteraction,
  deps: DiscordContext,
  text: string,
  mode: { update: boolean },
): Promise<void> {
  if (!mode.update) await interaction.deleteReply();
  await interaction.followUp({ ...textMessage(text, deps.bot.commands), flags: MessageFlags.Ephemeral });
}

/**
 * Edits the interaction's reply. Interaction tokens expire after 15 minutes, while a reindex may run longer:
 * then the status continues in a channel message of its own.
 */
function statusEditor(
  interaction: AnsweredInteraction,
  deps: DiscordContext,
): (text: string) => Promise<unknown> {
  let own: Message | undefined;
  return async (status) => {
    const text = textMessage(status, deps.bot.commands);
    if (own) return own.edit(text);
    try {
      return await interaction.editReply(replacing(text));
    } catch (error) {
      const expired =
        error instanceof DiscordAPIError &&
        (error.code === RESTJSONErrorCodes.InvalidWebhookToken ||
          error.code === RESTJSONErrorCodes.UnknownWebhook);
      if (!expired || !interaction.channel?.isSendable()) throw error;
      own = await interaction.channel.send(text);
      return own;
    }
  };
}
