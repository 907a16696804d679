import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  SlashCommandSubcommandBuilder,
  type ChatInputCommandInteraction,
  type RESTPostAPIApplicationCommandsJSONBody,
  type SlashCommandAttachmentOption,
  type SlashCommandBooleanOption,
  type SlashCommandChannelOption,
  type SlashCommandUserOption,
  type SlashCommandIntegerOption,
  type SlashCommandStringOption,
} from 'discord.js';
import type { CommandOption, CommandSpec } from '../../src/bot/types.js';
import { groupCommandName, standsAlone } from '../shared/chat-commands.js';

/**
 * Discord's form of the bot's commands, derived from `bot.commands` and nothing else: each spec's placement
 * decides between a slash command of its own (`/find`, `/reindex`: admin commands stand alone so Discord can
 * hide them from members without Manage Server) and a subcommand of `/lookalike` (`/lookalike status`). The
 * message context menu "Find similar images" runs `similar` with the message's image.
 */
export const findSimilarMenu = 'Find similar images';
/** What the context menu and the "Similar to #n" buttons run, and the option naming the result. */
export const similarCommand = 'similar';
export const similarResultOption = 'result';
/** What the "More" button runs, and the option carrying the page cursor. */
export const moreCommand = 'more';
export const moreCursorOption = 'cursor';

/** The image option of `similar`, which the context menu fills; undefined when the bot has none. */
export function similarImageOption(specs: readonly CommandSpec[]): CommandOption | undefined {
  return specs.find((s) => s.name === similarCommand)?.options.find((o) => o.type === 'image');
}

/** The JSON `PUT /applications/:id[/guilds/:id]/commands` takes. */
export function discordCommands(specs: readonly CommandSpec[]): RESTPostAPIApplicationCommandsJSONBody[] {
  const commands: RESTPostAPIApplicationCommandsJSONBody[] = specs.filter(standsAlone).map((spec) => {
    const command = new SlashCommandBuilder().setName(spec.name).setDescription(spec.description);
    addOptions(command, spec);
    if (spec.permission === 'admin') command.setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild);
    return inServers(command).toJSON();
  });
  const grouped = specs.filter((s) => !standsAlone(s));
  if (grouped.length > 0) {
    const group = new SlashCommandBuilder()
      .setName(groupCommandName)
      .setDescription(`More lookalike commands: ${grouped.map((s) => s.name).join(', ')}`.slice(0, 100));
    for (const spec of grouped) {
      const subcommand = new SlashCommandSubcommandBuilder()
        .setName(spec.name)
        .setDescription(spec.description);
      addOptions(subcommand, spec);
      group.addSubcommand(subcommand);
    }
    commands.push(inServers(group).toJSON());
  }
  if (similarImageOption(specs)) {
    const menu = new ContextMenuCommandBuilder()
      .setName(findSimilarMenu)
      .setType(ApplicationCommandType.Message);
    commands.push(inServers(menu).toJSON());
  }
  return commands;
}

/** The spec a slash command interaction stands for (`/lookalike status` is `status`). */
export function specOf(
  interaction: ChatInputCommandInteraction,
  specs: readonly CommandSpec[],
): CommandSpec | undefined {
  const name =
    interaction.commandName === groupCommandName
      ? interaction.options.getSubcommand(false)
      : interaction.commandName;
  return specs.find((s) => s.name === name);
}

/** Installed in servers and used there only: every search is scoped to a server. */
function inServers<T extends SlashCommandBuilder | ContextMenuCommandBuilder>(command: T): T {
  command
    .setContexts(InteractionContextType.Guild)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall);
  return command;
}

/** What slash commands and subcommands share: adding options (their builders' return types differ). */
interface OptionHolder {
  addChannelOption(input: (o: SlashCommandChannelOption) => SlashCommandChannelOption): unknown;
  addUserOption(input: (o: SlashCommandUserOption) => SlashCommandUserOption): unknown;
  addStringOption(input: (o: SlashCommandStringOption) => SlashCommandStringOption): unknown;
  addIntegerOption(input: (o: SlashCommandIntegerOption) => SlashCommandIntegerOption): unknown;
  addBooleanOption(input: (o: SlashCommandBooleanOption) => SlashCommandBooleanOption): unknown;
  addAttachmentOption(input: (o: SlashCommandAttachmentOption) => SlashCommandAttachmentOption): unknown;
}

/** Discord wants required options first; otherwise the spec's order is kept. */
function addOptions(builder: OptionHolder, spec: CommandSpec): void {
  const ordered = [...spec.options].sort((a, b) => Number(Boolean(b.required)) - Number(Boolean(a.required)));
  for (const option of ordered) addOption(builder, option);
}

function addOption(builder: OptionHolder, o: CommandOption): void {
  const required = Boolean(o.required);
  switch (o.type) {
    case 'string':
      builder.addStringOption((x) => {
        x.setName(o.name).setDescription(o.description).setRequired(required);
        if (o.maxLength !== undefined) x.setMaxLength(o.maxLength);
        return x;
      });
      return;
    case 'integer':
      builder.addIntegerOption((x) => {
        x.setName(o.name).setDescription(o.description).setRequired(required);
        if (o.min !== undefined) x.setMinValue(o.min);
        if (o.max !== undefined) x.setMaxValue(o.max);
        return x;
      });
      return;
    case 'boolean':
      builder.addBooleanOption((x) => x.setName(o.name).setDescription(o.description).setRequired(required));
      return;
    case 'channel':
      builder.addChannelOption((x) => x.setName(o.name).setDescription(o.description).setRequired(required));
      return;
    case 'user':
      builder.addUserOption((x) => x.setName(o.name).setDescription(o.description).setRequired(required));
      return;
    case 'image':
      builder.addAttachmentOption((x) =>
        x.setName(o.name).setDescription(o.description).setRequired(required),
      );
      return;
  }
}
