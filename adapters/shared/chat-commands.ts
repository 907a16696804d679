import type { CommandSpec } from '../../src/bot/types.js';

/** The one slash command the chat platforms group every `placement: 'grouped'` command under. */
export const groupCommandName = 'lookalike';

export const standsAlone = (spec: CommandSpec): boolean => spec.placement === 'own';

/** How people type a command in chat: `/find`, or `/lookalike status`. */
export const commandMention = (spec: CommandSpec): string =>
  standsAlone(spec) ? `/${spec.name}` : `/${groupCommandName} ${spec.name}`;

/**
 * The bot's texts name commands the console's way (`/status`, `/more`); in chat the grouped ones are typed
 * `/lookalike status`. Rewrites each such mention (not inside words, paths or links).
 */
export function chatCommandMentions(text: string, specs: readonly CommandSpec[]): string {
  const grouped = specs.filter((s) => !standsAlone(s)).map((s) => s.name);
  if (grouped.length === 0) return text;
  const pattern = new RegExp(`(^|[^\\w/.:-])/(${grouped.join('|')})(?![\\w-])`, 'g');
  return text.replace(pattern, (_m, before: string, name: string) => `${before}/${groupCommandName} ${name}`);
}
