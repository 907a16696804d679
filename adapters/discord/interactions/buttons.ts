import type { ButtonInteraction } from 'discord.js';
import { decodeButton } from '../button-ids.js';
import { moreCommand, moreCursorOption, similarCommand, similarResultOption } from '../registration.js';
import { refuse, respond } from '../respond.js';
import type { DiscordContext } from '../context.js';

/**
 * "More" pages the results in place; "Similar to #n" answers with a new message. Only the person who asked may
 * press them; the bot also scopes the cursor and the result to the server the press comes from.
 */
export async function onButton(
  interaction: ButtonInteraction<'cached' | 'raw'>,
  deps: DiscordContext,
): Promise<void> {
  const action = decodeButton(interaction.customId);
  if (!action) {
    await refuse(interaction, deps, 'This button is not one I know; run the search again.');
    return;
  }
  if (action.ownerId !== interaction.user.id) {
    await refuse(
      interaction,
      deps,
      'These buttons belong to someone else’s search. Run /find or /similar for your own.',
    );
    return;
  }
  if (action.kind === 'more') {
    const options = { [moreCursorOption]: action.cursor };
    await respond(interaction, deps, { command: moreCommand, options }, { update: true });
    return;
  }
  const options = { [similarResultOption]: action.imageId };
  await respond(interaction, deps, { command: similarCommand, options });
}
