// What the Slack chat-history tests share: the fixture photos, a walk of a conversation's history through the
// fake Slack's Web API and file hosts, message events as Slack delivers them, and waiting for private answers.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { webApi } from '@slack/bolt';
import { slackFileFetcher } from '../../adapters/slack/files.js';
import { slackHistorySource } from '../../adapters/slack/history/source.js';
import { indexSource, type IndexReport } from '../../src/indexer/index-source.js';
import { downloadSettings } from '../../src/net/download.js';
import { createDownloadLimiter } from '../../src/sources/chat/downloads.js';
import type { Ephemeral, Message, SlackFileObject } from '../slack/fake-slack/index.js';
import { httpTransport, type Delivery } from '../slack/fake-slack/requests.js';
import { botToken, people, signingSecret, team, type SlackHarness } from '../slack/harness.js';
import type { ChatTestBot } from './test-bot.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/images');
export const photo = (name: string) => readFileSync(path.join(fixtures, name));
export const jpeg = 'image/jpeg';

/** A fixture photo (`photo-<name>.jpg`) as a file shared in Slack. */
export const shared = (h: SlackHarness, name: string): SlackFileObject =>
  h.fake.addFile({ name: `${name}.jpg`, bytes: photo(`photo-${name}.jpg`), mimetype: jpeg });

/** Alice posts these photos (by fixture name) in `channel`. */
export const postPhotos = (h: SlackHarness, channel: string, ...names: string[]): Message =>
  h.fake.userMessage(
    channel,
    people.alice.id,
    'look',
    names.map((name) => shared(h, name)),
  );

/** The link of a message as the bot stores it (`thread`: the parent's ts, for a reply). */
export const linkOf = (message: Pick<Message, 'channel' | 'ts' | 'thread_ts'>): string => {
  const link = `https://${team.domain}.slack.com/archives/${message.channel}/p${message.ts.replace('.', '')}`;
  return message.thread_ts && message.thread_ts !== message.ts
    ? `${link}?thread_ts=${message.thread_ts}&cid=${message.channel}`
    : link;
};

/** Walks a conversation's history into the bot's store, as `/channels add` does; then it is searchable. */
export async function indexConversation(
  h: SlackHarness,
  test: ChatTestBot,
  channelId: string,
): Promise<IndexReport> {
  const source = slackHistorySource({
    tenant: team.id,
    channelId,
    client: new webApi.WebClient(botToken, { slackApiUrl: h.config.SLACK_API_URL! }),
    fetchFile: slackFileFetcher({ token: botToken, ...downloadSettings(h.config) }),
    download: createDownloadLimiter(),
    workspaceUrl: `https://${team.domain}.slack.com/`,
    ownUserId: h.fake.botUserId,
  });
  const report = await indexSource({ source, store: test.store, embedder: test.embedder });
  await test.refresh();
  return report;
}

/** Slack's Events API envelope around an event of this workspace, delivered to the app. */
export const deliverEvent = (h: SlackHarness, event: Record<string, unknown>): Promise<Delivery> =>
  httpTransport(h.requestUrl, signingSecret).deliver('event', {
    token: 'verification-token-unused',
    team_id: team.id,
    api_app_id: h.fake.appId,
    type: 'event_callback',
    event_id: `Ev${randomUUID().slice(0, 8)}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { team_id: team.id, user_id: h.fake.botUserId, is_bot: true, is_enterprise_install: false },
    ],
    event: { event_ts: String(Date.now() / 1000), ...event },
  });

/** The first private message for `user` after those they had when `act` started. */
export async function nextEphemeral(h: SlackHarness, user: string, act: () => Promise<unknown>) {
  const before = h.fake.ephemeralsFor(user).length;
  await act();
  for (let i = 0; i < 300; i++) {
    const next: Ephemeral | undefined = h.fake.ephemeralsFor(user)[before];
    if (next) return next;
    await sleep(20);
  }
  throw new Error(`no private message for ${user}; calls: ${h.fake.describeCalls()}`);
}

/** Polls `read` until it returns `expected` (or gives up after about 5 s), and returns what it read last. */
export async function until<T>(read: () => Promise<T>, expected: T): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (value === expected) return value;
    await sleep(50);
  }
  return read();
}
