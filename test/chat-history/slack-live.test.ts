import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatChannels } from '../../src/sources/chat/channels.js';
import { LiveChatIndexer } from '../../src/sources/chat/live.js';
import { createTestBot, type TestBot } from '../helpers/bot.js';
import { messageObject } from '../slack/fake-slack/index.js';
import { httpTransport } from '../slack/fake-slack/requests.js';
import { people, signingSecret, startSlackHarness, team, type SlackHarness } from '../slack/harness.js';

const photo = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../fixtures/images', name));

let test: TestBot;
let h: SlackHarness;
let live: LiveChatIndexer;
beforeAll(async () => {
  test = await createTestBot();
  const channels = new ChatChannels(test.config.LOOKALIKE_DATA_DIR);
  live = new LiveChatIndexer({
    store: test.store,
    embedder: test.embedder,
    logger: test.logger,
    channels,
    batchMs: 100,
  });
  h = await startSlackHarness(test.bot, {}, { live });
  await channels.add({
    platform: 'slack',
    tenant: team.id,
    channelId: h.channels.general.id,
    name: 'general',
    addedAt: new Date().toISOString(),
  });
});
afterAll(async () => {
  await h?.close();
  await live?.close();
  await test?.close();
});

/** Slack's Events API envelope around a message event. */
const deliver = (event: Record<string, unknown>) =>
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
    event: { type: 'message', channel: h.channels.general.id, event_ts: String(Date.now() / 1000), ...event },
  });

const count = () => test.store.count({ tenant: team.id }, { source: [`slack:${h.channels.general.id}`] });
async function until(expected: number): Promise<number> {
  for (let i = 0; i < 100 && (await count()) !== expected; i++) await sleep(50);
  return count();
}

describe('live indexing on Slack', () => {
  it('indexes shared images as they arrive, follows edits and deletions', async () => {
    const files = ['photo-cat.jpg', 'photo-flower.jpg'].map((name) =>
      h.fake.addFile({ name, bytes: photo(name), mimetype: 'image/jpeg' }),
    );
    const message = h.fake.userMessage(h.channels.general.id, people.alice.id, 'look', files);
    expect((await deliver({ ...messageObject(message), subtype: 'file_share' })).status).toBe(200);
    expect(await until(2)).toBe(2);

    await deliver({
      subtype: 'message_changed',
      message: {
        ...messageObject(message),
        files: files.slice(0, 1),
        edited: { ts: String(Date.now() / 1000) },
      },
    });
    expect(await until(1)).toBe(1);

    await deliver({
      subtype: 'message_deleted',
      deleted_ts: message.ts,
      previous_message: messageObject(message),
    });
    expect(await until(0)).toBe(0);
  });
});
