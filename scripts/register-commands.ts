// Registers lookalike's Discord commands (from the bot's command specs) for one server or globally.
//   npm run register-commands            -> the server in DISCORD_GUILD_ID (changes show at once)
//   npm run register-commands -- --global -> every server the bot is in (Discord may take a while to show them)
//   npm run register-commands -- --print  -> print the JSON instead of sending it
import { Command } from 'commander';
import { REST, Routes, type RESTPutAPIApplicationCommandsResult } from 'discord.js';
import { discordCommands } from '../adapters/discord/registration.js';
import { discordRestOptions } from '../adapters/discord/rest-options.js';
import { commands } from '../commands/index.js';
import { ConfigError, loadConfig } from '../src/config/load.js';

const program = new Command('register-commands')
  .description("Registers lookalike's slash commands and message menu with Discord.")
  .option('--global', 'register for every server instead of DISCORD_GUILD_ID')
  .option('--print', 'print the command JSON and exit')
  .parse();
const flags = program.opts<{ global?: boolean; print?: boolean }>();

try {
  const body = discordCommands(commands.map((c) => c.spec));
  if (flags.print) {
    console.log(JSON.stringify(body, null, 2));
    process.exit(0);
  }
  const config = loadConfig();
  const needed = [
    'DISCORD_TOKEN',
    'DISCORD_APPLICATION_ID',
    ...(flags.global ? [] : ['DISCORD_GUILD_ID' as const]),
  ] as const;
  const missing = needed.filter((key) => !config[key]);
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((key) => ({
        key,
        message:
          key === 'DISCORD_GUILD_ID' ? 'needed to register for one server (or pass --global)' : 'required',
      })),
    );
  }
  const app = config.DISCORD_APPLICATION_ID!;
  const rest = new REST(discordRestOptions(config)).setToken(config.DISCORD_TOKEN!);
  const route = flags.global
    ? Routes.applicationCommands(app)
    : Routes.applicationGuildCommands(app, config.DISCORD_GUILD_ID!);
  const saved = (await rest.put(route, { body })) as RESTPutAPIApplicationCommandsResult;
  const where = flags.global ? 'globally' : `in server ${config.DISCORD_GUILD_ID}`;
  console.log(`Registered ${saved.length} commands ${where}: ${saved.map((c) => c.name).join(', ')}`);
} catch (error) {
  console.error(
    error instanceof ConfigError ? error.message : `register-commands: ${(error as Error).message}`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
}
