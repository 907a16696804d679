import { Events, MessageFlags, type Client, type Interaction } from 'discord.js';
import { apology } from '../../../src/bot/errors.js';
import { withRequest } from '../../../src/util/request-context.js';
import { findSimilarMenu } from '../registration.js';
import type { DiscordContext } from '../context.js';
import { onButton } from './buttons.js';
import { onChatInput } from './chat-input.js';
import { onFindSimilarMenu } from './find-similar-menu.js';

const serversOnly =
  'I work in servers only: every search is scoped to one server’s images. Use me in a server channel.';

/** Sends every interaction to its handler; `idle()` waits for the ones still being answered. */
export function routeInteractions(client: Client, deps: DiscordContext): { idle(): Promise<void> } {
  const running = new Set<Promise<void>>();
  client.on(Events.InteractionCreate, (interaction) => {
    // The interaction's id is the request id of every log line its handling writes, down to the reply.
    const work = withRequest({ requestId: interaction.id, platform: 'discord' }, () =>
      dispatch(interaction, deps).catch((error: unknown) => recover(interaction, deps, error)),
    ).finally(() => running.delete(work));
    running.add(work);
  });
  return {
    async idle() {
      await Promise.allSettled([...running]);
    },
  };
}

async function dispatch(interaction: Interaction, deps: DiscordContext): Promise<void> {
  if (!interaction.isRepliable()) return;
  if (!interaction.inGuild()) {
    await interaction.reply({ content: serversOnly, flags: MessageFlags.Ephemeral });
    return;
  }
  if (interaction.isChatInputCommand()) return onChatInput(interaction, deps);
  if (interaction.isMessageContextMenuCommand() && interaction.commandName === findSimilarMenu) {
    return onFindSimilarMenu(interaction, deps);
  }
  if (interaction.isButton()) return onButton(interaction, deps);
}

/**
 * Last resort: log it, and tell the asker privately if nothing was answered yet. Once acknowledged, `respond`
 * answers its own failures (privately, placeholder removed first); a follow-up here could instead take the
 * public placeholder's place and show the apology to the whole channel.
 */
async function recover(interaction: Interaction, deps: DiscordContext, error: unknown): Promise<void> {
  deps.logger.error('discord: interaction failed', { id: interaction.id, type: interaction.type, error });
  if (!interaction.isRepliable() || interaction.deferred || interaction.replied) return;
  await interaction.reply({ content: apology, flags: MessageFlags.Ephemeral }).catch(() => undefined);
}
