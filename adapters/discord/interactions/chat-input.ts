import type { ChatInputCommandInteraction } from 'discord.js';
import type { CommandRequest, CommandSpec } from '../../../src/bot/types.js';
import { fetchImage, imageOfAttachment, imageRefusal } from '../images.js';
import { specOf } from '../registration.js';
import { refuse, respond } from '../respond.js';
import type { DiscordContext } from '../context.js';

/** A slash command: its options read by the spec's types; an attached image is checked, then downloaded. */
export async function onChatInput(
  interaction: ChatInputCommandInteraction<'cached' | 'raw'>,
  deps: DiscordContext,
): Promise<void> {
  const spec = specOf(interaction, deps.bot.commands);
  if (!spec) {
    await refuse(
      interaction,
      deps,
      `I no longer know /${interaction.commandName}; an admin should register my commands again.`,
    );
    return;
  }
  const imageOption = spec.options.find((o) => o.type === 'image');
  const attachment = imageOption ? interaction.options.getAttachment(imageOption.name) : null;
  const image = attachment ? imageOfAttachment(attachment) : undefined;
  const refusal = image && imageRefusal(image, deps.imageLimits);
  if (refusal) return refuse(interaction, deps, refusal);
  await respond(interaction, deps, {
    command: spec.name,
    options: optionValues(interaction, spec),
    ...(image && { image: () => fetchImage(image, deps.imageLimits) }),
  });
}

function optionValues(
  interaction: ChatInputCommandInteraction,
  spec: CommandSpec,
): CommandRequest['options'] {
  const values: CommandRequest['options'] = {};
  for (const option of spec.options) {
    const { name } = option;
    const value =
      option.type === 'string'
        ? interaction.options.getString(name)
        : option.type === 'integer'
          ? interaction.options.getInteger(name)
          : option.type === 'boolean'
            ? interaction.options.getBoolean(name)
            : option.type === 'channel'
              ? (interaction.options.getChannel(name)?.id ?? null)
              : option.type === 'user'
                ? (interaction.options.getUser(name)?.id ?? null)
                : null;
    if (value !== null) values[name] = value;
  }
  return values;
}
