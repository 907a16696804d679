import type { Command } from '../src/bot/command.js';
import { find } from './find.js';
import { help } from './help.js';
import { indexFolder } from './index-folder.js';
import { more } from './more.js';
import { reindex } from './reindex.js';
import { similar } from './similar.js';
import { status } from './status.js';

/** The commands every chat platform serves; adapters derive their registration from these specs. */
export const commands: readonly Command[] = [find, similar, more, reindex, status, help];

/** The console's set: the chat commands plus indexing a folder on this machine. */
export const consoleCommands: readonly Command[] = [...commands, indexFolder];
