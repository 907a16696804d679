import { Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { registerDoctorCommand } from './doctor.js';
import { registerEmbedCommand } from './embed.js';
import { registerModelsCommand } from './models.js';
import { registerIndexCommand } from './index-command.js';
import { registerSearchCommands } from './search.js';
import { registerStartCommand } from './start.js';
import { redactorFromEnvironment } from '../util/redact.js';
import { shutdown } from './shutdown-state.js';

const program = new Command('lookalike')
  .description('Find images by words or by example: CLIP embeddings, Elasticsearch or an embedded store.')
  .showHelpAfterError();

registerStartCommand(program);
registerIndexCommand(program);
registerSearchCommands(program);
registerEmbedCommand(program);
registerModelsCommand(program);
registerDoctorCommand(program);

// Errors nobody caught end the process through the same redacting printer, never Node's raw dump.
const fatal = (error: unknown) => {
  const redact = redactorFromEnvironment();
  if (shutdown.inProgress) {
    // A platform library tearing down a connection it was still opening (a gateway or socket retrying through
    // an outage) can throw from an event nobody listens to any more. The process is already stopping at a
    // safe point; finishing that is better than exiting 1 with a stack trace.
    console.error(
      redact(`lookalike: while stopping: ${error instanceof Error ? error.message : String(error)}`),
    );
    return;
  }
  console.error(
    redact(`lookalike: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  );
  process.exit(1);
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // The last output path: redacted like every log line (a service's error body may echo a token or header).
  const redact = redactorFromEnvironment();
  // Configuration and input problems are the user's to fix: say what, not where in our code.
  if (error instanceof ConfigError) {
    console.error(redact(error.message));
    process.exit(2);
  }
  console.error(redact(error instanceof Error ? `lookalike: ${error.message}` : String(error)));
  process.exit(1);
}
