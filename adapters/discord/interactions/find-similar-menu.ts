import type { MessageContextMenuCommandInteraction } from 'discord.js';
import { fetchImage, imageOfMessage, imageRefusal } from '../images.js';
import { similarCommand, similarImageOption } from '../registration.js';
import { refuse, respond } from '../respond.js';
import type { DiscordContext } from '../context.js';

/** "Apps > Find similar images" on a message: `similar` with the message's first image. */
export async function onFindSimilarMenu(
  interaction: MessageContextMenuCommandInteraction<'cached' | 'raw'>,
  deps: DiscordContext,
): Promise<void> {
  const image = similarImageOption(deps.bot.commands) ? imageOfMessage(interaction.targetMessage) : undefined;
  if (!image) {
    await refuse(
      interaction,
      deps,
      'That message has no image to match: no image attachment and no embedded picture.',
    );
    return;
  }
  const refusal = imageRefusal(image, deps.imageLimits);
  if (refusal) return refuse(interaction, deps, refusal);
  await respond(interaction, deps, {
    command: similarCommand,
    options: {},
    image: () => fetchImage(image, deps.imageLimits),
  });
}
