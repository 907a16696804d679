import { PermissionFlagsBits, type Interaction } from 'discord.js';
import type { Actor, CommandRequest } from '../../src/bot/types.js';

/** Channels the asker may see, for chat-history results; undefined means no restriction to apply. */
export type VisibleChannels = (interaction: Interaction<'cached' | 'raw'>) => Promise<string[] | undefined>;

/** Admin: Manage Server (Administrator implies it), or the configured admin role. */
export function isAdmin(
  interaction: Interaction<'cached' | 'raw'>,
  adminRoleId: string | undefined,
): boolean {
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  if (!adminRoleId) return false;
  const roles = interaction.member.roles;
  return Array.isArray(roles) ? roles.includes(adminRoleId) : roles.cache.has(adminRoleId);
}

export function actorOf(interaction: Interaction<'cached' | 'raw'>, adminRoleId: string | undefined): Actor {
  return {
    id: interaction.user.id,
    name: interaction.user.username,
    isAdmin: isAdmin(interaction, adminRoleId),
  };
}

/** Every request from a server: the guild is the tenant, and the platform's upload limit travels along. */
export async function requestFrom(
  interaction: Interaction<'cached' | 'raw'>,
  fields: Pick<CommandRequest, 'command' | 'options' | 'image'>,
  context: {
    adminRoleId: string | undefined;
    uploadBudgetBytes: number;
    visibleChannels: VisibleChannels | undefined;
  },
): Promise<CommandRequest> {
  const visibleChannels = await context.visibleChannels?.(interaction);
  return {
    ...fields,
    actor: actorOf(interaction, context.adminRoleId),
    tenant: interaction.guildId,
    channelId: interaction.channelId ?? undefined,
    ...(visibleChannels ? { visibleChannels } : {}),
    uploadLimitBytes: Math.min(context.uploadBudgetBytes, interaction.attachmentSizeLimit ?? Infinity),
  };
}
