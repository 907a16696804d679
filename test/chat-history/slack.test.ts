import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../commands/channels.js';
import { commands } from '../../commands/index.js';
import { slackFileFetcher } from '../../adapters/slack/files.js';
import { slackHistorySource } from '../../adapters/slack/history/source.js';
import { indexSource } from '../../src/indexer/index.js';
import { createDownloadLimiter } from '../../src/sources/chat/downloads.js';
import { createTestBot, type TestBot } from '../helpers/bot.js';
import {
  botToken,
  blocksOf,
  people,
  startSlackHarness,
  team,
  waitForResults,
  type SlackHarness,
} from '../slack/harness.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/images');
const photo = (name: string) => readFileSync(path.join(fixtures, name));
const secret = 'C0SECRET';

let test: TestBot;
let h: SlackHarness;
beforeAll(async () => {
  test = await createTestBot({ commands: [...commands, channels] });
  h = await startSlackHarness(test.bot);
  h.fake.options.channels.push({
    id: secret,
    name: 'secret',
    teamId: team.id,
    isPrivate: true,
    members: [people.alice.id, h.fake.botUserId],
  });
});
afterAll(async () => {
  await h?.close();
  await test?.close();
});

const history = (channelId: string) =>
  slackHistorySource({
    tenant: team.id,
    channelId,
    client: new webApi.WebClient(botToken, { slackApiUrl: h.config.SLACK_API_URL! }),
    fetchFile: slackFileFetcher({
      token: botToken,
      maxBytes: 10 << 20,
      timeoutMs: 10_000,
      dispatcher: h.fake.files.dispatcher,
    }),
    download: createDownloadLimiter(),
    workspaceUrl: `https://${team.domain}.slack.com/`,
    ownUserId: h.fake.botUserId,
  });
const index = (channelId: string) =>
  indexSource({ source: history(channelId), store: test.store, embedder: test.embedder });

const post = (channel: string, name: string, bytes: Buffer, mimetype: string) =>
  h.fake.userMessage(channel, people.alice.id, 'look', [h.fake.addFile({ name, bytes, mimetype })]);

/** The result links of alice's `/find` typed in `channel`. */
async function linksIn(channel: string): Promise<string> {
  const since = Date.now() / 1000;
  await h.as(people.alice).command(channel, '/find', 'flower');
  const { results } = await waitForResults(h.fake, channel, since);
  return JSON.stringify(blocksOf(results));
}

describe('Slack conversation history', () => {
  it('indexes image files with permalinks, skips other files, keeps private channels to their own answers, and drops deleted messages', async () => {
    const open = post(h.channels.general.id, 'cat.jpg', photo('photo-cat.jpg'), 'image/jpeg');
    post(h.channels.general.id, 'notes.txt', Buffer.from('hello'), 'text/plain');
    const hidden = post(secret, 'flower.jpg', photo('photo-flower.jpg'), 'image/jpeg');
    const first = await index(h.channels.general.id);
    expect(first).toMatchObject({ new: 1, failed: [] });
    expect((await index(secret)).new).toBe(1);

    const openLink = `https://${team.domain}.slack.com/archives/${h.channels.general.id}/p${open.ts.replace('.', '')}`;
    const hiddenLink = `https://${team.domain}.slack.com/archives/${secret}/p${hidden.ts.replace('.', '')}`;
    const inGeneral = await linksIn(h.channels.general.id);
    expect(inGeneral).toContain(openLink);
    expect(inGeneral).not.toContain(hiddenLink);
    expect(await linksIn(secret)).toContain(hiddenLink);

    h.fake.messages.splice(h.fake.messages.indexOf(hidden), 1);
    expect((await index(secret)).deleted).toBe(1);
    expect(await test.store.count({ tenant: team.id }, { source: [`slack:${secret}`] })).toBe(0);
  });

  it('lets an admin add a channel with /channels, and refuses one the bot is not in', async () => {
    post(secret, 'coffee.jpg', photo('photo-coffee.jpg'), 'image/jpeg');
    await h.as(people.admin).command(h.channels.general.id, '/channels', 'add secret');
    let count = 0;
    for (let i = 0; i < 100 && count === 0; i++) {
      await sleep(100);
      count = await test.store.count({ tenant: team.id }, { source: [`slack:${secret}`] });
    }
    expect(count).toBe(1);

    const earlier = h.fake.ephemeralsFor(people.admin.id).length;
    await h
      .as(people.admin)
      .command(h.channels.general.id, '/channels', `add <#${h.channels.random.id}|random>`);
    for (let i = 0; i < 100 && h.fake.ephemeralsFor(people.admin.id).length === earlier; i++) await sleep(50);
    expect(h.fake.ephemeralsFor(people.admin.id)[earlier]?.text).toContain('invite me to #random');
  });
});
