import type { CommandOption, CommandSpec } from '../../src/bot/types.js';
import { groupCommandName, standsAlone } from '../shared/chat-commands.js';

/**
 * Slack's form of the bot's commands, derived from `bot.commands` alone: each spec's placement decides
 * between a slash command of its own (`/find`, `/reindex`) and a word after `/lookalike` (`/lookalike
 * status`); grouping also matters here because Slack's slash-command names are shared by every app in a
 * workspace and some (`/status`) are Slack's own. "Find similar images" is a message shortcut running `similar`.
 */
/** What the message shortcut, the mention with an image and the "Similar to #n" buttons run. */
export const similarCommand = 'similar';
/** What the "More" button runs. */
export const moreCommand = 'more';
/** What a mention without an image runs with the mention's words. */
export const findCommand = 'find';
export const helpCommand = 'help';
export const similarShortcut = { callbackId: 'find_similar', name: 'Find similar images' } as const;

export interface SlackSlashCommand {
  /** With the slash, e.g. `/find`. */
  command: string;
  description: string;
  usageHint: string;
}

/** The slash commands to register (manifest) and to listen for. */
export function slackSlashCommands(specs: readonly CommandSpec[]): SlackSlashCommand[] {
  const own = specs.filter(standsAlone).map((spec) => ({
    command: `/${spec.name}`,
    description: spec.description,
    usageHint: optionsHint(spec.options),
  }));
  const grouped = specs.filter((s) => !standsAlone(s));
  if (grouped.length === 0) return own;
  return [
    ...own,
    {
      command: `/${groupCommandName}`,
      description: `More lookalike commands: ${grouped.map((s) => s.name).join(', ')}`,
      usageHint: grouped.map((s) => [s.name, optionsHint(s.options)].filter(Boolean).join(' ')).join(' | '),
    },
  ];
}

/** The spec a slash command stands for, and the text left for its options (`/lookalike more` is `more`). */
export function commandOfSlash(
  slash: string,
  text: string,
  specs: readonly CommandSpec[],
): { name: string; spec?: CommandSpec; text: string } {
  const name = slash.replace(/^\//, '').toLowerCase();
  if (name !== groupCommandName)
    return { name, spec: specs.find((s) => s.name === name && standsAlone(s)), text };
  const [word = helpCommand, ...rest] = text.trim().split(/\s+/).filter(Boolean);
  const sub = word.toLowerCase();
  return { name: sub, spec: specs.find((s) => s.name === sub), text: rest.join(' ') };
}

/** `<text> [count]`: required options bare, optional ones in brackets; the image comes from a message. */
function optionsHint(options: readonly CommandOption[]): string {
  return options
    .filter((o) => o.type !== 'image')
    .map((o) => (o.required ? `<${o.name}>` : `[${o.name}]`))
    .join(' ');
}
