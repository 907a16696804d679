import { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { registerEmbedCommand } from './embed.js';
import { registerModelsCommand } from './models.js';
import { registerIndexCommand } from './index-command.js';
import { registerSearchCommands } from './search.js';
import { registerStartCommand } from './start.js';

const program = new Command('lookalike')
  .description('Find images by words or by example: CLIP embeddings, Elasticsearch or an embedded store.')
  .showHelpAfterError();

registerStartCommand(program);
registerIndexCommand(program);
registerSearchCommands(program);
registerEmbedCommand(program);
registerModelsCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Configuration and input problems are the user's to fix: say what, not where in our code.
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error instanceof Error ? `lookalike: ${error.message}` : error);
  process.exit(1);
}
