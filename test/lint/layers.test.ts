import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The import-rule messages ESLint gives `code` placed at `file` (the file need not exist). */
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the layering the lint config enforces', () => {
  it('refuses an import upwards, from a platform into another, and from the core into adapters or commands', async () => {
    const refused: [string, string][] = [
      ['src/store/forbidden.ts', "import type { Reply } from '../bot/types.js';"],
      ['src/render/forbidden.ts', "import type { Bot } from '../bot/types.js';"],
      ['src/sources/forbidden.ts', "import { indexSource } from '../indexer/index-source.js';"],
      ['src/bot/forbidden.ts', "import { commands } from '../../commands/index.js';"],
      ['src/search/forbidden.ts', "import { parseCommandText } from '../../adapters/slack/parse.js';"],
      ['commands/forbidden.ts', "import { textMessage } from '../adapters/discord/messages.js';"],
      ['adapters/slack/forbidden.ts', "import { discordCommands } from '../discord/registration.js';"],
    ];
    for (const [file, code] of refused) {
      expect(await layerErrors(file, `${code}\nexport {};\n`), `${file}: ${code}`).toHaveLength(1);
    }
  });

  it('allows imports downwards and within a folder', async () => {
    const allowed: [string, string][] = [
      ['src/bot/allowed.ts', "import type { Reply } from '../render/reply.js';"],
      ['src/indexer/allowed.ts', "import type { ImageSource } from '../sources/types.js';"],
      ['adapters/slack/allowed.ts', "import { chatCommandMentions } from '../shared/chat-commands.js';"],
      ['commands/allowed.ts', "import { answerQuery } from '../src/bot/search-replies.js';"],
    ];
    for (const [file, code] of allowed) {
      expect(await layerErrors(file, `${code}\nexport {};\n`), `${file}: ${code}`).toEqual([]);
    }
  });

  it('passes on the whole tree', async () => {
    const results = await eslint.lintFiles(['src', 'commands', 'adapters']);
    const broken = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId === 'no-restricted-imports')
        .map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(broken).toEqual([]);
  });
});
