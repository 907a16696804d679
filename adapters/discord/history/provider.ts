import type { Client, GuildBasedChannel } from 'discord.js';
import type { DownloadLimiter } from '../../../src/sources/chat/downloads.js';
import type { ChatHistoryProvider } from '../../../src/sources/chat/providers.js';
import { InputError } from '../../../src/util/errors.js';
import type { ImageLimits } from '../images.js';
import { discordHistorySource } from './source.js';

/** Chat-history indexing over a connected client: its REST queue for history, one download limiter for all. */
export function discordHistoryProvider(
  client: Client,
  limits: ImageLimits,
  download: DownloadLimiter,
): ChatHistoryProvider {
  return {
    platform: 'discord',
    serves: (tenant) => client.guilds.cache.has(tenant),
    async resolveChannel(tenant, text) {
      const wanted = text
        .trim()
        .replace(/^<#(\d+)>$/, '$1')
        .replace(/^#/, '');
      const guild = client.guilds.cache.get(tenant);
      const channels = [...(guild?.channels.cache.values() ?? [])].filter((c) => c.isTextBased());
      let found: GuildBasedChannel | undefined =
        channels.find((c) => c.id === wanted) ?? channels.find((c) => c.name === wanted);
      if (!found && /^\d{15,21}$/.test(wanted)) {
        // Archived threads are not cached: ask Discord, and accept only this server's text channels.
        const fetched = await client.channels.fetch(wanted).catch(() => null);
        if (fetched && !fetched.isDMBased() && fetched.guildId === tenant && fetched.isTextBased())
          found = fetched;
      }
      if (!found)
        throw new InputError('channel', `there is no text channel or thread "${text}" in this server`);
      return { id: found.id, name: found.name };
    },
    open: (spec) =>
      discordHistorySource({
        ...spec,
        rest: client.rest,
        limits,
        download,
        ownUserId: client.user?.id ?? '',
      }),
  };
}
