import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ChannelType,
  ComponentType,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildHubType,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildSystemChannelFlags,
  GuildVerificationLevel,
  InteractionContextType,
  InteractionType,
  Locale,
  MessageType,
  SnowflakeUtil,
  type APIApplicationCommandInteractionDataOption,
  type APIAttachment,
  type APIChatInputApplicationCommandDMInteraction,
  type APIChatInputApplicationCommandGuildInteraction,
  type APIEmbed,
  type APIGuildTextChannel,
  type APIInteractionGuildMember,
  type APIMessage,
  type APIMessageApplicationCommandGuildInteraction,
  type APIMessageComponentButtonInteraction,
  type APIRole,
  type APIUser,
  type GatewayGuildCreateDispatchData,
  type GuildMemberFlags,
  type RoleFlags,
  type GuildTextChannelType,
} from 'discord.js';

/** Payload shapes as Discord sends them (API v10), typed with discord-api-types so a wrong field fails tsc. */

export const snowflake = (): string => SnowflakeUtil.generate().toString();

/** Discord's default upload limit for a server without boosts (10 MiB since 2024). */
const attachmentSizeLimit = 10 * 1024 * 1024;

export function user(id: string, username: string, bot = false): APIUser {
  return { id, username, discriminator: '0', global_name: username, avatar: null, bot };
}

export interface FakeGuild {
  id: string;
  name: string;
  ownerId: string;
  channels: { id: string; name: string }[];
  roles: { id: string; name: string; permissions: bigint }[];
}

/** Who is asking: a member of a guild, in a channel, with computed permissions (as Discord sends in `member`). */
export interface Asker {
  appId: string;
  guild: FakeGuild;
  channelId: string;
  member: APIInteractionGuildMember;
}

export function member(u: APIUser, permissions: bigint, roles: string[] = []): APIInteractionGuildMember {
  return {
    user: u,
    roles,
    permissions: permissions.toString(),
    joined_at: new Date(0).toISOString(),
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    nick: null,
    avatar: null,
    premium_since: null,
    pending: false,
    communication_disabled_until: null,
  };
}

function role(r: FakeGuild['roles'][number], position: number): APIRole {
  return {
    id: r.id,
    name: r.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: r.permissions.toString(),
    managed: false,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}

function textChannel(guildId: string, c: FakeGuild['channels'][number], position: number) {
  return {
    id: c.id,
    type: ChannelType.GuildText,
    guild_id: guildId,
    name: c.name,
    position,
    permission_overwrites: [],
    nsfw: false,
    parent_id: null,
    topic: null,
    last_message_id: null,
    rate_limit_per_user: 0,
  } satisfies APIGuildTextChannel<GuildTextChannelType>;
}

/** GUILD_CREATE as sent right after READY. */
export function guildCreate(guild: FakeGuild): GatewayGuildCreateDispatchData {
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: GuildVerificationLevel.None,
    default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
    explicit_content_filter: GuildExplicitContentFilter.Disabled,
    roles: guild.roles.map((r, i) => role(r, i)),
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: GuildMFALevel.None,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: GuildSystemChannelFlags.SuppressJoinNotifications,
    rules_channel_id: null,
    vanity_url_code: null,
    premium_tier: GuildPremiumTier.None,
    premium_subscription_count: 0,
    preferred_locale: Locale.EnglishUS,
    public_updates_channel_id: null,
    nsfw_level: GuildNSFWLevel.Default,
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    hub_type: null satisfies GuildHubType | null,
    incidents_data: null,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    joined_at: new Date(0).toISOString(),
    large: false,
    unavailable: false,
    member_count: 3,
    voice_states: [],
    members: [],
    channels: guild.channels.map((c, i) => textChannel(guild.id, c, i)),
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export interface AttachmentInit {
  filename: string;
  contentType?: string;
  size: number;
  /** Full URL; defaults to Discord's CDN path for this attachment. */
  url?: string;
  proxyUrl?: string;
  width?: number;
  height?: number;
  channelId?: string;
}

export function attachment(init: AttachmentInit): APIAttachment {
  const id = snowflake();
  const path = `/attachments/${init.channelId ?? snowflake()}/${id}/${init.filename}`;
  return {
    id,
    filename: init.filename,
    size: init.size,
    url: init.url ?? `https://cdn.discordapp.com${path}?ex=ffffffff&is=00000000&hm=00`,
    proxy_url: init.proxyUrl ?? `https://media.discordapp.net${path}?ex=ffffffff&is=00000000&hm=00`,
    ...(init.contentType ? { content_type: init.contentType } : {}),
    ...(init.width ? { width: init.width, height: init.height ?? init.width } : {}),
  };
}

export interface MessageInit {
  channelId: string;
  guildId?: string;
  author: APIUser;
  content?: string;
  attachments?: APIAttachment[];
  embeds?: APIEmbed[];
  id?: string;
}

export function message(init: MessageInit): APIMessage {
  return {
    id: init.id ?? snowflake(),
    channel_id: init.channelId,
    author: init.author,
    content: init.content ?? '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: init.attachments ?? [],
    embeds: init.embeds ?? [],
    pinned: false,
    type: MessageType.Default,
    components: [],
  };
}

function base(asker: Asker) {
  const channel = asker.guild.channels.find((c) => c.id === asker.channelId) ?? {
    id: asker.channelId,
    name: 'x',
  };
  return {
    id: snowflake(),
    application_id: asker.appId,
    token: `tok-${snowflake()}`,
    version: 1 as const,
    guild_id: asker.guild.id,
    guild: { id: asker.guild.id, locale: Locale.EnglishUS, features: [] },
    channel: textChannel(asker.guild.id, channel, 0),
    channel_id: asker.channelId,
    member: asker.member,
    app_permissions: '2251799813685247',
    locale: Locale.EnglishUS,
    guild_locale: Locale.EnglishUS,
    entitlements: [],
    authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: asker.guild.id },
    context: InteractionContextType.Guild,
    attachment_size_limit: attachmentSizeLimit,
  };
}

/** A channel or a member picked in a channel or user option: Discord sends the id and the picked object. */
export interface PickedChannel {
  pick: 'channel';
  channel: { id: string; name: string };
}
export interface PickedUser {
  pick: 'user';
  user: APIUser;
}
export type OptionValue = string | number | boolean | APIAttachment | PickedChannel | PickedUser;

export const pickChannel = (id: string, name: string): PickedChannel => ({
  pick: 'channel',
  channel: { id, name },
});
export const pickUser = (picked: APIUser): PickedUser => ({ pick: 'user', user: picked });

interface Resolved {
  attachments: Record<string, APIAttachment>;
  channels: Record<string, { id: string; name: string; type: ChannelType.GuildText; permissions: string }>;
  users: Record<string, APIUser>;
}

/**
 * Options as Discord nests them: `{ name, type, value }`; an attachment's, channel's or user's value is its id,
 * and the object itself comes in `resolved`.
 */
function commandOptions(options: Record<string, OptionValue>): {
  options: APIApplicationCommandInteractionDataOption[];
  resolved: Partial<Resolved>;
} {
  const resolved: Resolved = { attachments: {}, channels: {}, users: {} };
  const list = Object.entries(options).map(([name, value]): APIApplicationCommandInteractionDataOption => {
    if (typeof value === 'object' && 'pick' in value) {
      if (value.pick === 'channel') {
        const { id, name: channelName } = value.channel;
        resolved.channels[id] = { id, name: channelName, type: ChannelType.GuildText, permissions: '0' };
        return { name, type: ApplicationCommandOptionType.Channel, value: id };
      }
      resolved.users[value.user.id] = value.user;
      return { name, type: ApplicationCommandOptionType.User, value: value.user.id };
    }
    if (typeof value === 'object') {
      resolved.attachments[value.id] = value;
      return { name, type: ApplicationCommandOptionType.Attachment, value: value.id };
    }
    if (typeof value === 'boolean') return { name, type: ApplicationCommandOptionType.Boolean, value };
    if (typeof value === 'number') return { name, type: ApplicationCommandOptionType.Integer, value };
    return { name, type: ApplicationCommandOptionType.String, value };
  });
  const used = Object.fromEntries(
    Object.entries(resolved).filter(([, items]) => Object.keys(items).length > 0),
  );
  return { options: list, resolved: used };
}

/** A slash command; `subcommand` nests the options under it (`/lookalike status`). */
export function chatInput(
  asker: Asker,
  name: string,
  options: Record<string, OptionValue> = {},
  subcommand?: string,
): APIChatInputApplicationCommandGuildInteraction {
  const parsed = commandOptions(options);
  const nested: APIApplicationCommandInteractionDataOption[] = subcommand
    ? [{ name: subcommand, type: ApplicationCommandOptionType.Subcommand, options: parsed.options as never }]
    : parsed.options;
  return {
    ...base(asker),
    type: InteractionType.ApplicationCommand,
    data: {
      id: snowflake(),
      name,
      type: ApplicationCommandType.ChatInput,
      guild_id: asker.guild.id,
      options: nested,
      ...(Object.keys(parsed.resolved).length > 0 ? { resolved: parsed.resolved } : {}),
    },
  };
}

/** The same slash command sent from a DM with the bot (no guild, no member). */
export function chatInputInDm(
  appId: string,
  asker: APIUser,
  name: string,
): APIChatInputApplicationCommandDMInteraction {
  return {
    id: snowflake(),
    application_id: appId,
    token: `tok-${snowflake()}`,
    version: 1,
    type: InteractionType.ApplicationCommand,
    user: asker,
    channel: { id: snowflake(), type: ChannelType.DM },
    channel_id: snowflake(),
    app_permissions: '0',
    locale: Locale.EnglishUS,
    entitlements: [],
    authorizing_integration_owners: { [ApplicationIntegrationType.UserInstall]: asker.id },
    context: InteractionContextType.BotDM,
    attachment_size_limit: attachmentSizeLimit,
    data: { id: snowflake(), name, type: ApplicationCommandType.ChatInput },
  };
}

/** A message context-menu command ("Apps > Find similar images") on `target`. */
export function messageContextMenu(
  asker: Asker,
  name: string,
  target: APIMessage,
): APIMessageApplicationCommandGuildInteraction {
  return {
    ...base(asker),
    type: InteractionType.ApplicationCommand,
    data: {
      id: snowflake(),
      name,
      type: ApplicationCommandType.Message,
      guild_id: asker.guild.id,
      target_id: target.id,
      resolved: { messages: { [target.id]: target } },
    },
  };
}

/** A click on a button of `onMessage` (the message as the bot last left it). */
export function buttonClick(
  asker: Asker,
  customId: string,
  onMessage: APIMessage,
): APIMessageComponentButtonInteraction {
  return {
    ...base(asker),
    type: InteractionType.MessageComponent,
    message: onMessage,
    data: { custom_id: customId, component_type: ComponentType.Button },
  } as APIMessageComponentButtonInteraction;
}
