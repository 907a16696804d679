// A fake Discord server with an open channel and a private one (only the "insiders" role may view it), a
// connected adapter whose answers are scoped by real channel permissions, and helpers to post images.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import {
  GatewayDispatchEvents,
  OverwriteType,
  PermissionFlagsBits,
  REST,
  type APIMessage,
  type APIUser,
} from 'discord.js';
import { discordChannelVisibility } from '../../adapters/discord/history/visibility.js';
import { createDiscordAdapter, type DiscordAdapterOptions } from '../../adapters/discord/index.js';
import { discordRestOptions } from '../../adapters/discord/rest-options.js';
import type { Bot, ChatAdapter } from '../../src/bot/types.js';
import { parseConfig } from '../../src/config/load.js';
import { downloadSettings, type DownloadSettings } from '../../src/net/download.js';
import { createLogger } from '../../src/util/log.js';
import { FakeDiscord } from '../discord/fake-discord/index.js';
import type { FakeGateway } from '../discord/fake-discord/gateway.js';
import {
  attachment,
  member,
  message,
  snowflake,
  user,
  type Asker,
  type FakeGuild,
} from '../discord/fake-discord/payloads.js';
import { token } from '../discord/harness.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/images');
export const photo = (name: string) => readFileSync(path.join(fixtures, name));

const view = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages;

export interface DiscordWorld {
  fake: FakeDiscord;
  adapter: ChatAdapter;
  rest: REST;
  /** How the bot downloads (the fake CDN reached through the proxy), for history sources made by tests. */
  limits: DownloadSettings;
  guild: FakeGuild;
  general: string;
  secret: string;
  poster: APIUser;
  /** Can view the open channel only. */
  outsider: Asker;
  /** Has the insiders role: can view both. */
  insider: Asker;
  /** Has Manage Server, and so may run admin commands (and view every channel). */
  admin: Asker;
  /** Sends a gateway event to the bot. */
  dispatch(event: GatewayDispatchEvents, data: unknown): void;
  /** Posts a message with these files (served by the fake CDN) and returns it. */
  post(channelId: string, files: { name: string; bytes: Buffer; contentType: string }[]): APIMessage;
  close(): Promise<void>;
}

export async function startDiscordWorld(
  bot: Bot,
  adapterOptions: Partial<Pick<DiscordAdapterOptions, 'live'>> = {},
): Promise<DiscordWorld> {
  const guildId = snowflake();
  const insidersRole = snowflake();
  const general = snowflake();
  const secret = snowflake();
  const guild: FakeGuild = {
    id: guildId,
    name: 'Photo club',
    ownerId: snowflake(),
    channels: [
      { id: general, name: 'general' },
      { id: secret, name: 'secret' },
    ],
    roles: [
      { id: guildId, name: '@everyone', permissions: view },
      { id: insidersRole, name: 'insiders', permissions: view },
    ],
  };
  const fake = await FakeDiscord.start({ token, guilds: [guild] });
  const config = parseConfig({ DISCORD_TOKEN: token, DISCORD_API_URL: fake.apiBase, ...fake.cdn.env });
  const adapter = createDiscordAdapter({
    bot,
    config,
    logger: createLogger(config, () => {}),
    visibleChannels: discordChannelVisibility({ ttlMs: 0 }),
    ...adapterOptions,
  });
  await adapter.start();
  // The fake sends channels without overwrites; make #secret private the way Discord announces it.
  const gateway = (fake as unknown as { gateway: FakeGateway }).gateway;
  gateway.dispatch(GatewayDispatchEvents.ChannelUpdate, {
    id: secret,
    type: 0,
    guild_id: guildId,
    name: 'secret',
    position: 1,
    parent_id: null,
    nsfw: false,
    permission_overwrites: [
      { id: guildId, type: OverwriteType.Role, allow: '0', deny: PermissionFlagsBits.ViewChannel.toString() },
      {
        id: insidersRole,
        type: OverwriteType.Role,
        allow: PermissionFlagsBits.ViewChannel.toString(),
        deny: '0',
      },
    ],
  });
  await sleep(200); // the gateway event is applied asynchronously by the client
  const rest = new REST(discordRestOptions(config)).setToken(token);
  const asker = (name: string, roles: string[], permissions = view): Asker => ({
    appId: fake.applicationId,
    guild,
    channelId: general,
    member: member(user(snowflake(), name), permissions, roles),
  });
  const poster = user(snowflake(), 'poster');
  return {
    fake,
    adapter,
    rest,
    limits: downloadSettings(config),
    guild,
    general,
    secret,
    poster,
    outsider: asker('outsider', []),
    insider: asker('insider', [insidersRole]),
    admin: asker('admin', [insidersRole], view | PermissionFlagsBits.ManageGuild),
    dispatch: (event, data) => gateway.dispatch(event, data),
    post(channelId, files) {
      const attachments = files.map((f) => {
        const a = attachment({
          filename: f.name,
          contentType: f.contentType,
          size: f.bytes.length,
          channelId,
        });
        fake.cdn.put(a.url, f.bytes, f.contentType);
        return a;
      });
      return fake.addMessage(message({ channelId, author: poster, attachments }));
    },
    async close() {
      await adapter.stop();
      await fake.close();
    },
  };
}
