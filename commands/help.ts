import { defineCommand } from '../src/bot/command.js';
import type { CommandSpec } from '../src/bot/types.js';

export const help = defineCommand({
  spec: {
    name: 'help',
    description: 'What I can do',
    permission: 'everyone',
    placement: 'grouped',
    options: [],
  },
  inference: false,
  async run(context) {
    const visible = context.commands.filter(
      (c) => c.permission === 'everyone' || context.request.actor.isAdmin,
    );
    const lines = visible.map(
      (c) => `/${usage(c)} — ${c.description}${c.permission === 'admin' ? ' (admins)' : ''}`,
    );
    return {
      kind: 'text',
      text: ['I find images by words or by example.', ...lines].join('\n'),
      ephemeral: true,
    };
  },
});

/** `find <text> [count]`: required options bare, optional ones in brackets. */
function usage(spec: CommandSpec): string {
  const options = spec.options.map((o) => (o.required ? `<${o.name}>` : `[${o.name}]`));
  return [spec.name, ...options].join(' ');
}
