import type { App } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { slackSlashCommands } from '../../slash-commands.js';
import { slashCommand } from './slash-command.js';

/** One listener per slash command the manifest registers (`/find`, `/reindex`, `/lookalike`), all alike. */
export function register(app: App, deps: SlackContext): void {
  for (const { command } of slackSlashCommands(deps.bot.commands)) app.command(command, slashCommand(deps));
}
