import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack/index.js';
import { botToken, people, team, workspaceChannels } from './harness.js';

// The fake also stands in for Slack in chat-history tests: its history, paging and rules must hold.
let fake: FakeSlack;
let client: webApi.WebClient;
beforeAll(async () => {
  fake = await FakeSlack.start({ botToken, teams: [team], channels: [] });
  const { general, random } = workspaceChannels(fake.botUserId);
  fake.options.channels.push(general, random, { ...random, id: 'C0SECRET', name: 'secret', isPrivate: true });
  client = new webApi.WebClient(botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
});
afterAll(async () => {
  await fake?.close();
});

describe('fake Slack', () => {
  it('pages channel history newest first, with threads kept to conversations.replies', async () => {
    const posted = Array.from({ length: 5 }, (_, i) =>
      fake.userMessage('C0GENERAL', people.alice.id, `m${i}`),
    );
    fake.messages.push({ ...posted[0]!, ts: `${posted[0]!.ts}1`, thread_ts: posted[0]!.ts, text: 'reply' });
    const texts: string[] = [];
    for await (const page of client.paginate('conversations.history', { channel: 'C0GENERAL', limit: 2 })) {
      texts.push(...((page as { messages?: { text: string }[] }).messages ?? []).map((m) => m.text));
    }
    expect(texts).toEqual(['m4', 'm3', 'm2', 'm1', 'm0']);
    const thread = await client.conversations.replies({ channel: 'C0GENERAL', ts: posted[0]!.ts });
    expect(thread.messages?.map((m) => m.text)).toEqual(['m0', 'reply']);
  });

  it('enforces tokens and membership, and lists only what the bot may see', async () => {
    await expect(
      new webApi.WebClient('xoxb-wrong', { slackApiUrl: fake.apiUrl }).auth.test(),
    ).rejects.toThrow(/invalid_auth/);
    await expect(client.conversations.history({ channel: 'C0RANDOM' })).rejects.toThrow(/not_in_channel/);
    await expect(client.chat.postMessage({ channel: 'C0RANDOM', text: 'hi' })).rejects.toThrow(
      /not_in_channel/,
    );
    const listed = await client.conversations.list({ types: 'public_channel,private_channel' });
    expect(listed.channels?.map((c) => c.id)).toEqual(['C0GENERAL', 'C0RANDOM']);
  });

  it('refuses blocks Slack would refuse', async () => {
    const button = {
      type: 'button',
      text: { type: 'plain_text', text: 'x'.repeat(76) },
      action_id: 'a',
    } as const;
    await expect(
      client.chat.postMessage({
        channel: 'C0GENERAL',
        text: 't',
        blocks: [{ type: 'actions', elements: [button] }],
      }),
    ).rejects.toThrow(/invalid_blocks/);
  });
});
