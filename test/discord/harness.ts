import { PermissionFlagsBits, type APIInteraction, type APIMessage, type APIUser } from 'discord.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { createDiscordAdapter, type DiscordAdapterOptions } from '../../adapters/discord/index.js';
import type { Bot, ChatAdapter } from '../../src/bot/types.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { OcrEngine } from '../../src/ocr/engine.js';
import { createLogger } from '../../src/util/log.js';
import { createTestBot, indexFolder, type TestBot, type TestBotOptions } from '../helpers/bot.js';
import { FakeDiscord, type RestCall } from './fake-discord/index.js';
import { member, snowflake, user, type Asker, type FakeGuild } from './fake-discord/payloads.js';

export const token = 'fake.discord.token-0123456789';

/** A connected Discord adapter over the fake Discord, with a server and the people who use it. */
export interface Harness {
  fake: FakeDiscord;
  adapter: ChatAdapter;
  config: Config;
  guild: FakeGuild;
  channelId: string;
  adminRoleId: string;
  /** A member with no special permissions. */
  alice: Asker;
  bob: Asker;
  /** Has Manage Server. */
  owner: Asker;
  /** Has only the configured admin role. */
  moderator: Asker;
  /** Another server the bot is in. */
  otherGuild: FakeGuild;
  /** Alice, in the other server. */
  aliceElsewhere: Asker;
  logs: string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Settings besides the Discord ones the harness sets. */
  env?: Record<string, string>;
  adapter?: Partial<Omit<DiscordAdapterOptions, 'bot' | 'config' | 'logger'>>;
}

export async function startHarness(bot: Bot, options: HarnessOptions = {}): Promise<Harness> {
  const guild = fakeGuild('Photo club');
  const channelId = guild.channels[0]!.id;
  const adminRoleId = guild.roles[1]!.id;
  const otherGuild = fakeGuild('Other club');
  // A short heartbeat interval, so heartbeats and their ACKs happen during a test file.
  const fake = await FakeDiscord.start({ token, guilds: [guild, otherGuild], heartbeatIntervalMs: 1000 });
  const config = parseConfig({ ...discordEnv(fake, adminRoleId), ...options.env });
  const logs: string[] = [];
  const logger = createLogger(config, (line) => logs.push(line));
  const adapter = createDiscordAdapter({ bot, config, logger, ...options.adapter });
  await adapter.start();
  return {
    fake,
    adapter,
    config,
    guild,
    channelId,
    adminRoleId,
    ...people(fake, guild, adminRoleId),
    otherGuild,
    aliceElsewhere: people(fake, otherGuild, adminRoleId).alice,
    logs,
    async close() {
      await adapter.stop();
      await fake.close();
    },
  };
}

/** The settings a Discord bot needs to run against the fake (and reach its CDN through the proxy). */
export function discordEnv(fake: FakeDiscord, adminRoleId: string): Record<string, string> {
  return {
    DISCORD_TOKEN: token,
    DISCORD_API_URL: fake.apiBase,
    DISCORD_ADMIN_ROLE_ID: adminRoleId,
    ...fake.cdn.env,
  };
}

/** The people of a server: ordinary members, the owner (Manage Server) and a moderator (the admin role). */
export function people(fake: FakeDiscord, guild: FakeGuild, adminRoleId: string) {
  const asker = (who: APIUser, permissions: bigint, roles: string[] = []): Asker => ({
    appId: fake.applicationId,
    guild,
    channelId: guild.channels[0]!.id,
    member: member(who, permissions, roles),
  });
  return {
    alice: asker(alice, PermissionFlagsBits.SendMessages),
    bob: asker(bob, PermissionFlagsBits.SendMessages),
    owner: asker(owner, PermissionFlagsBits.ManageGuild | PermissionFlagsBits.SendMessages),
    moderator: asker(moderator, PermissionFlagsBits.SendMessages, [adminRoleId]),
  };
}

const alice = user(snowflake(), 'alice');
const bob = user(snowflake(), 'bob');
const owner = user(snowflake(), 'owner');
const moderator = user(snowflake(), 'moderator');

export interface FileHarnessOptions extends HarnessOptions {
  bot?: TestBotOptions;
  /** Makes the folder of images indexed for the server before the tests. */
  folder(): Promise<{ dir: string; remove(): Promise<void> }>;
  /** How many images that folder indexes as new. */
  indexed: number;
  /** Reads the words in the images too, with the real OCR models. */
  readText?: boolean;
}

/**
 * A test bot, a connected harness and the server's folder indexed, for one test file: started in
 * `beforeAll`, closed and removed in `afterAll`. The returned object is filled in when `beforeAll` has run,
 * so read it inside tests and hooks only.
 */
export function discordHarnessForFile(options: FileHarnessOptions): Harness {
  const harness = {} as Harness;
  let test: TestBot | undefined;
  let started: Harness | undefined;
  let folder: { remove(): Promise<void> } | undefined;
  beforeAll(async () => {
    test = await createTestBot(options.bot);
    started = await startHarness(test.bot, options);
    Object.assign(harness, started);
    const images = await options.folder();
    folder = images;
    const reader = options.readText ? await OcrEngine.open({ threads: 1 }) : undefined;
    try {
      const report = await indexFolder(test, images.dir, started.guild.id, reader);
      expect(report.new).toBe(options.indexed);
    } finally {
      await reader?.close();
    }
  });
  afterAll(async () => {
    await started?.close();
    await test?.close();
    await folder?.remove();
  });
  return harness;
}

/** A server with one text channel and, besides @everyone, a role for admins (roles[1]). */
export function fakeGuild(name: string): FakeGuild {
  const id = snowflake();
  return {
    id,
    name,
    ownerId: snowflake(),
    channels: [{ id: snowflake(), name: 'general' }],
    roles: [
      { id, name: '@everyone', permissions: PermissionFlagsBits.SendMessages },
      { id: snowflake(), name: 'curators', permissions: PermissionFlagsBits.SendMessages },
    ],
  };
}

/** What one interaction led to, once its answer is complete. */
export interface Exchange {
  token: string;
  sentAt: number;
  /** The acknowledgement (`POST /interactions/:id/:token/callback`). */
  callback: RestCall;
  calls: RestCall[];
  /** The interaction's message as last edited (its reply, or the paged message). */
  message: APIMessage | undefined;
  followUps: APIMessage[];
}

/**
 * Sends an interaction and waits until the bot has finished answering it: an immediate reply, an edit of the
 * deferred reply, or an ephemeral follow-up.
 */
export async function interact(
  fake: FakeDiscord,
  payload: APIInteraction,
  timeoutMs = 30_000,
): Promise<Exchange> {
  const sent = fake.interact(payload);
  const ours = (c: RestCall) => c.path.split('/').includes(sent.token);
  const callback = await fake.waitForCall((c) => ours(c) && c.path.endsWith('/callback'), timeoutMs);
  const immediate = (callback.body as { type: number }).type === 4;
  if (!immediate) {
    await fake.waitForCall(
      (c) =>
        ours(c) &&
        c.status === 200 &&
        ((c.method === 'PATCH' && c.path.endsWith('/messages/@original')) ||
          (c.method === 'POST' && c.path.startsWith('/webhooks/'))),
      timeoutMs,
    );
  }
  return {
    token: sent.token,
    sentAt: sent.at,
    callback,
    calls: fake.callsFor(sent.token),
    message: fake.original(sent.token),
    followUps: fake.followUps(sent.token),
  };
}
