import { afterAll, beforeAll } from 'vitest';
import {
  createSlackAdapter,
  type SlackAdapter,
  type SlackAdapterOptions,
} from '../../adapters/slack/index.js';
import type { Bot } from '../../src/bot/types.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/util/log.js';
import { startTestBot, type SlackTestBot } from './bot.js';
import { FakeSlack, type FakeChannel, type Message } from './fake-slack/index.js';
import { httpTransport, SlackUser, type Person, type Transport } from './fake-slack/requests.js';

export const botToken = 'xoxb-1111-2222-fakebottoken';
export const appToken = 'xapp-1-A0LOOKALIKE-fakeapptoken';
export const signingSecret = 'fake-signing-secret-0123456789abcdef';

export const team = { id: 'T0PHOTOCLUB', name: 'Photo club', domain: 'photoclub' };
export const otherTeam = { id: 'T0OTHERCORP', name: 'Other corp', domain: 'othercorp' };
export const adminGroup = 'S0CURATORS';

const person = (id: string, name: string, teamId = team.id): Person => ({ id, name, teamId });
export const people = {
  alice: person('U0ALICE', 'alice'),
  bob: person('U0BOB', 'bob'),
  /** Listed in SLACK_ADMIN_USER_IDS. */
  admin: person('U0ADMIN', 'admin'),
  /** A member of the admin user group. */
  curator: person('U0CURATOR', 'curator'),
  /** From another workspace, in the shared channel. */
  eve: person('U0EVE', 'eve', otherTeam.id),
};

/** The workspace: #general (the bot is in it, shared with another workspace's eve) and #random (bot not in it). */
export function workspaceChannels(botUserId: string): { general: FakeChannel; random: FakeChannel } {
  const everyone = Object.values(people).map((p) => p.id);
  return {
    general: { id: 'C0GENERAL', name: 'general', teamId: team.id, members: [...everyone, botUserId] },
    random: { id: 'C0RANDOM', name: 'random', teamId: team.id, members: everyone },
  };
}

export interface SlackHarness {
  bot: Bot;
  fake: FakeSlack;
  adapter: SlackAdapter;
  config: Config;
  /** Where Slack posts requests in HTTP mode. */
  requestUrl: string;
  channels: ReturnType<typeof workspaceChannels>;
  /** Each person sending through signed HTTP requests. */
  as(who: Person, transport?: Transport): SlackUser;
  logs: string[];
  close(): Promise<void>;
}

/** The Slack adapter in HTTP mode on 127.0.0.1 (random port), talking to a fresh fake Slack. */
export async function startSlackHarness(
  bot: Bot,
  env: Record<string, string> = {},
  options: Partial<Omit<SlackAdapterOptions, 'bot' | 'config' | 'logger'>> = {},
): Promise<SlackHarness> {
  const fake = await FakeSlack.start({
    botToken,
    appToken,
    teams: [team, otherTeam],
    channels: [],
    usergroups: [{ id: adminGroup, teamId: team.id, users: [people.curator.id] }],
  });
  const channels = workspaceChannels(fake.botUserId);
  fake.options.channels.push(channels.general, channels.random);
  const config = parseConfig({
    SLACK_BOT_TOKEN: botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_MODE: 'http',
    SLACK_API_URL: fake.apiUrl,
    SLACK_ADMIN_USER_IDS: people.admin.id,
    SLACK_ADMIN_USERGROUP_ID: adminGroup,
    ...fake.files.env,
    ...env,
  });
  const logs: string[] = [];
  const logger = createLogger(config, (line) => logs.push(line));
  const adapter = createSlackAdapter({
    bot,
    config,
    logger,
    listen: { port: 0, host: '127.0.0.1' },
    ...options,
  });
  await adapter.start();
  const requestUrl = `http://127.0.0.1:${adapter.address()!.port}/slack/events`;
  const transport = httpTransport(requestUrl, signingSecret);
  return {
    bot,
    fake,
    adapter,
    config,
    requestUrl,
    channels,
    as: (who, via = transport) => new SlackUser(fake, via, who),
    logs,
    async close() {
      await adapter.stop();
      await fake.close();
    },
  };
}

export interface FileHarnessOptions {
  /** How the test bot is built (see startTestBot). */
  bot?: Parameters<typeof startTestBot>[1];
  /** Settings besides the Slack ones the harness sets. */
  env?: Record<string, string>;
  adapter?: Parameters<typeof startSlackHarness>[2];
}

/**
 * A test bot with this workspace's folder indexed and the harness around it, for one test file: started in
 * `beforeAll`, closed in `afterAll`. The returned object is filled in when `beforeAll` has run, so read it
 * inside tests and hooks only.
 */
export function slackHarnessForFile(options: FileHarnessOptions = {}): SlackHarness {
  const harness = {} as SlackHarness;
  let testBot: SlackTestBot | undefined;
  let started: SlackHarness | undefined;
  beforeAll(async () => {
    testBot = await startTestBot(team.id, options.bot);
    started = await startSlackHarness(testBot.bot, options.env, options.adapter);
    Object.assign(harness, started);
  });
  afterAll(async () => {
    await started?.close();
    await testBot?.close();
  });
  return harness;
}

/** Now on Slack's clock: seconds, as message `ts` values count. */
export const slackNow = () => Date.now() / 1000;

type Button = { action_id: string; value: string };
export type Block = { type: string; text?: { text: string }; accessory?: Button; elements?: Button[] };

export const blocksOf = (m: Message): Block[] => (m.blocks ?? []) as Block[];
/** The hit sections of a results message (each with its "Similar to #n" button). */
export const hitSections = (m: Message): Block[] =>
  blocksOf(m).filter((b) => b.accessory?.action_id.startsWith('lookalike.similar.'));
/** The ranks a results message lists. */
export const ranks = (m: Message): number[] =>
  hitSections(m).map((b) => Number(/^\*#(\d+)\*/.exec(b.text?.text ?? '')?.[1]));
export const moreButton = (m: Message): Button | undefined =>
  blocksOf(m)
    .find((b) => b.type === 'actions')
    ?.elements?.find((e) => e.action_id === 'lookalike.more');

/**
 * The answer to one search: its results message and the contact sheet uploaded after it, both posted in
 * `channel` after `since` (seconds, as Slack's ts).
 */
export async function waitForResults(fake: FakeSlack, channel: string, since: number) {
  const after = (m: Message) => m.channel === channel && Number(m.ts) > since;
  const sheet = await fake.waitForMessage((m) => after(m) && m.via === 'files.completeUploadExternal');
  const results = fake
    .botMessages(channel)
    .find((m) => after(m) && Number(m.ts) < Number(sheet.ts) && hitSections(m).length > 0);
  if (!results) throw new Error(`no results message before the sheet; calls: ${fake.describeCalls()}`);
  return { results, sheet };
}
