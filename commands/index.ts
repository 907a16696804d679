import type { Command } from '../src/bot/command.js';
import { channels } from './channels.js';
import { find } from './find.js';
import { help } from './help.js';
import { indexFolder } from './index-folder.js';
import { more } from './more.js';
import { reindex } from './reindex.js';
import { similar } from './similar.js';
import { status } from './status.js';

/** The commands every chat platform serves; adapters derive their registration from these specs. */
export const commands: readonly Command[] = [find, similar, more, reindex, channels, status, help];

/** The console's set: the chat commands (but chat channels, which it has none of) plus indexing a folder on this machine. */
export const consoleCommands: readonly Command[] = [...commands.filter((c) => c !== channels), indexFolder];
