import { createRequire } from 'node:module';
import type { RESTOptions } from 'discord.js';
import type { Config } from '../../src/config/schema.js';

type RestAgent = NonNullable<RESTOptions['agent']>;

/** How discord.js's REST client is set up, for the bot and for command registration alike. */
export function discordRestOptions(config: Pick<Config, 'DISCORD_API_URL'>): Partial<RESTOptions> {
  return { agent: discordRestAgent(), ...(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}) };
}

/**
 * A connection pool from the undici copy discord.js's REST client itself uses. Every reply with files is a
 * multipart body that only that copy can send; left to undici's process-wide default, the client would send
 * with whichever undici in the process created that default first (ours is another major, which rejects the
 * body: "action is not a function"). Found along the real dependency chain, discord.js → @discordjs/rest →
 * undici, so it holds however npm lays the tree out and whatever module loads first.
 */
function discordRestAgent(): RestAgent {
  const fromDiscordJs = createRequire(createRequire(import.meta.url).resolve('discord.js'));
  const fromRest = createRequire(fromDiscordJs.resolve('@discordjs/rest'));
  const undici = fromRest('undici') as { Agent: new () => RestAgent };
  return new undici.Agent();
}
