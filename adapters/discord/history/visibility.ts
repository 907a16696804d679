import {
  ChannelType,
  PermissionFlagsBits,
  type GuildBasedChannel,
  type GuildMember,
  type Interaction,
} from 'discord.js';
import type { VisibleChannels } from '../request.js';

/** How long a member's set of visible channels is trusted (permission changes show up after at most this). */
const defaultTtlMs = 30_000;

/**
 * The channels (and threads) a member can read now, from discord.js's permission calculation on the cached
 * guild: roles, @everyone and the channel's overwrites (threads follow their parent; private threads also
 * need membership or Manage Threads). Kept per guild and member for a short while. When the guild or member is
 * not cached the answer is no channel at all, so chat-history hits stay hidden rather than leak.
 */
export function discordChannelVisibility(options: { ttlMs?: number } = {}): VisibleChannels {
  const ttlMs = options.ttlMs ?? defaultTtlMs;
  const cache = new Map<string, { at: number; ids: string[] }>();
  return async (interaction: Interaction<'cached' | 'raw'>) => {
    if (!interaction.inCachedGuild()) return [];
    const key = `${interaction.guildId}/${interaction.user.id}`;
    const now = Date.now();
    const cached = cache.get(key);
    if (cached && now - cached.at < ttlMs) return cached.ids;
    for (const [k, entry] of cache) if (now - entry.at >= ttlMs) cache.delete(k);
    const ids = visibleChannelIds(interaction.guild.channels.cache.values(), interaction.member);
    cache.set(key, { at: now, ids });
    return ids;
  };
}

function visibleChannelIds(channels: Iterable<GuildBasedChannel>, member: GuildMember): string[] {
  const ids: string[] = [];
  for (const channel of channels) {
    if (!channel.isTextBased()) continue;
    const permissions = channel.permissionsFor(member);
    if (!permissions?.has(PermissionFlagsBits.ViewChannel)) continue;
    if (
      channel.type === ChannelType.PrivateThread &&
      !channel.members.cache.has(member.id) &&
      !permissions.has(PermissionFlagsBits.ManageThreads)
    ) {
      continue;
    }
    ids.push(channel.id);
  }
  return ids;
}
