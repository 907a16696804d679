import { describe, expect, it } from 'vitest';
import { chatCommandMentions } from '../../adapters/shared/chat-commands.js';
import { commandOfSlash, slackSlashCommands } from '../../adapters/slack/slash-commands.js';
import { commands } from '../../commands/index.js';

const specs = commands.map((c) => c.spec);

describe("Slack's form of the commands", () => {
  it('gives commands placed on their own a slash command and groups the rest under /lookalike', () => {
    const slash = slackSlashCommands(specs);
    expect(slash.map((c) => c.command)).toEqual(['/find', '/similar', '/reindex', '/channels', '/lookalike']);
    expect(slash[0]).toMatchObject({
      description: 'Find images matching a description',
      usageHint: '<text> [count] [in] [from] [after] [before] [during] [type] [source] [sort] [all]',
    });
    const grouped = specs.filter((s) => s.placement === 'grouped').map((s) => s.name);
    expect(grouped).toEqual(['more', 'status', 'help']);
    for (const name of grouped) expect(slash[4]!.usageHint).toContain(name);
  });

  it('finds the command a slash command stands for', () => {
    expect(commandOfSlash('/find', 'cats 3', specs)).toMatchObject({ name: 'find', text: 'cats 3' });
    expect(commandOfSlash('/lookalike', 'Status', specs)).toMatchObject({ name: 'status', text: '' });
    expect(commandOfSlash('/lookalike', 'similar #2', specs)).toMatchObject({ name: 'similar', text: '#2' });
    expect(commandOfSlash('/lookalike', '', specs)).toMatchObject({ name: 'help' });
    expect(commandOfSlash('/lookalike', 'dance', specs).spec).toBeUndefined();
  });

  it('names grouped commands in bot texts the way Slack users type them', () => {
    expect(
      chatCommandMentions('Try /find, /more or /status. See https://x.org/more and a/more.', specs),
    ).toBe('Try /find, /lookalike more or /lookalike status. See https://x.org/more and a/more.');
  });
});
