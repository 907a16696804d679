import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackChannelVisibility } from '../../adapters/slack/visibility.js';
import { parseConfig } from '../../src/config/load.js';
import { FakeSlack, type Ephemeral, type Message } from '../slack/fake-slack/index.js';
import {
  blocksOf,
  botToken,
  moreButton,
  people,
  startSlackHarness,
  team,
  waitForResults,
  type SlackHarness,
} from '../slack/harness.js';
import { memoryLogger } from '../helpers/bot.js';
import { indexConversation, linkOf, nextEphemeral, postPhotos } from './slack-fixture.js';
import { photo } from './discord-fixture.js';
import { backends, chatTestBot, type ChatTestBot } from './test-bot.js';
import { botScopes } from '../../adapters/slack/manifest.js';

const photos = 'C0PHOTOS';
const secret = 'C0SECRET';
/** Every scope the app asks for, and the ones users.conversations needs for the other conversation types. */
const allScopes = [...botScopes, 'im:read', 'mpim:read'];

const linksIn = (blocks: unknown): string[] =>
  [...JSON.stringify(blocks).matchAll(/<(https:\/\/[^|>]+)\|open>/g)].map((m) => m[1]!).sort();

describe.each(backends)('who sees which Slack images (%s store)', (backend) => {
  let test: ChatTestBot;
  let h: SlackHarness;
  /** The permalink of each indexed photo. */
  const link: Record<string, string> = {};
  beforeAll(async () => {
    test = await chatTestBot(backend);
    h = await startSlackHarness(test.bot);
    h.fake.options.scopes = allScopes;
    // #photos is public but bob is not in it; #secret is private: alice, the curator and the bot.
    h.fake.options.channels.push(
      { id: photos, name: 'photos', teamId: team.id, members: [people.alice.id, h.fake.botUserId] },
      {
        id: secret,
        name: 'secret',
        teamId: team.id,
        isPrivate: true,
        members: [people.alice.id, people.curator.id, h.fake.botUserId],
      },
    );
    const posted: [string, Message][] = [
      ['cat', postPhotos(h, h.channels.general.id, 'cat')],
      ['coffee', postPhotos(h, photos, 'coffee')],
      ['flower', postPhotos(h, secret, 'flower')],
      ['china', postPhotos(h, secret, 'china')],
    ];
    for (const [name, message] of posted) link[name] = linkOf(message);
    for (const channel of [h.channels.general.id, photos, secret]) await indexConversation(h, test, channel);
  });
  afterAll(async () => {
    await h?.close();
    await test?.close();
  });

  const general = () => h.channels.general.id;
  const everything = () => Object.values(link).sort();
  const publicOnes = () => [link.cat!, link.coffee!].sort();

  /** `/find flower <count>` by `who` in `channel`, answered in the channel for everyone. */
  async function publicAnswer(who: (typeof people)['alice'], channel: string, count = 20) {
    const since = Date.now() / 1000;
    await h.as(who).command(channel, '/find', `flower count:${count}`);
    return (await waitForResults(h.fake, channel, since)).results;
  }

  /** The count a /status tells `who` (privately: it covers their private channels), and that nothing was posted. */
  const statusOf = async (who: (typeof people)['alice'], channel: string) => {
    const since = Date.now() / 1000;
    const answer: Ephemeral = await nextEphemeral(h, who.id, () =>
      h.as(who).command(channel, '/lookalike', 'status'),
    );
    expect(answer.channel).toBe(channel);
    expect(h.fake.botMessages(channel).filter((m) => Number(m.ts) > since)).toEqual([]);
    return /Images searchable here: (\d+)/.exec(answer.text)?.[1];
  };

  it('shows a private channel’s images to a member: in that channel to all, elsewhere only to them', async () => {
    const inSecret = await publicAnswer(people.alice, secret);
    expect(linksIn(blocksOf(inSecret))).toEqual(everything());

    const uploads = h.fake.callsOf('files.completeUploadExternal').length;
    const since = Date.now() / 1000;
    const answer: Ephemeral = await nextEphemeral(h, people.alice.id, () =>
      h.as(people.alice).command(general(), '/find', 'flower count:20'),
    );
    expect(answer.channel).toBe(general());
    expect(linksIn(answer.blocks)).toEqual(everything());
    expect(answer.text).toContain('Results 1–4');
    expect(JSON.stringify(answer.blocks)).toContain('Only you can see these results');
    // Nothing of it reached the channel: no message, no contact sheet.
    expect(h.fake.botMessages(general()).filter((m) => Number(m.ts) > since)).toEqual([]);
    expect(h.fake.callsOf('files.completeUploadExternal').length).toBe(uploads);
  });

  it('never shows them to someone outside the channel, in counts or later pages, while public channels show to all', async () => {
    // bob is in #general only; #photos is public, so its image is his to see too.
    const first = await publicAnswer(people.bob, general(), 1);
    const more = moreButton(first);
    expect(more).toBeDefined();
    const since = Date.now() / 1000;
    await h.as(people.bob).click(first, 'lookalike.more');
    const { results: second } = await waitForResults(h.fake, general(), since);
    expect([...linksIn(blocksOf(first)), ...linksIn(blocksOf(second))].sort()).toEqual(publicOnes());
    expect(moreButton(second)).toBeUndefined();

    expect(await statusOf(people.bob, general())).toBe('2');
    expect(await statusOf(people.alice, secret)).toBe('4');
    // Asked in a public channel, alice's count still covers #secret: only she is told.
    expect(await statusOf(people.alice, general())).toBe('4');
  });

  it('falls back to public channels and the channel asked in when the app may not list memberships', async () => {
    h.fake.options.scopes = allScopes.filter((s) => s !== 'groups:read');
    try {
      // The curator is in #secret, but without groups:read the bot cannot tell.
      expect(linksIn(blocksOf(await publicAnswer(people.curator, general())))).toEqual(publicOnes());
      expect(h.logs.join('\n')).toMatch(/lacks a scope.*groups:read/);
      expect(linksIn(blocksOf(await publicAnswer(people.curator, secret)))).toEqual(everything());
    } finally {
      h.fake.options.scopes = allScopes;
    }
  });

  it('filters /find by channel and poster as Slack sends them (escaped mentions or names), never widening', async () => {
    // bob posts a photo in #general too (one of his own: the same bytes would be alice's document); everything
    // else was posted by alice.
    const own = h.fake.addFile({ name: 'grey.jpg', bytes: photo('grayscale.jpg'), mimetype: 'image/jpeg' });
    const bobs = h.fake.userMessage(general(), people.bob.id, 'mine', [own]);
    await indexConversation(h, test, general());
    const linksFor = async (who: (typeof people)['alice'], channel: string, text: string) => {
      const since = Date.now() / 1000;
      await h.as(who).command(channel, '/find', `${text} all:true count:20`);
      return linksIn(blocksOf((await waitForResults(h.fake, channel, since)).results));
    };
    expect(await linksFor(people.alice, secret, `flower in:<#${secret}|secret>`)).toEqual(
      [link.flower!, link.china!].sort(),
    );
    expect(await linksFor(people.alice, secret, 'flower in:#photos')).toEqual([link.coffee!]);
    expect(await linksFor(people.alice, general(), `a photo from:<@${people.bob.id}|bob>`)).toEqual([
      linkOf(bobs),
    ]);
    // bob names #secret, which he cannot see: nothing, rather than its images.
    const since = Date.now() / 1000;
    await h.as(people.bob).command(general(), '/find', `flower in:<#${secret}|secret>`);
    const nothing = await h.fake.waitForMessage((m) => m.channel === general() && Number(m.ts) > since);
    expect(nothing.text).toMatch(/^Nothing here matches those filters/);
    const unknown = await nextEphemeral(h, people.alice.id, () =>
      h.as(people.alice).command(general(), '/find', 'flower in:#nowhere'),
    );
    expect(unknown.text).toContain('in:#nowhere');
  });
});

describe('Slack memberships', () => {
  let fake: FakeSlack;
  let client: webApi.WebClient;
  beforeAll(async () => {
    // More conversations than one page of users.conversations holds; the bot is in all of them.
    const bot = 'U0LOOKALIKE';
    fake = await FakeSlack.start({
      botToken,
      teams: [team],
      channels: Array.from({ length: 1_100 }, (_, i) => ({
        id: `C${String(i).padStart(6, '0')}`,
        name: `room-${i}`,
        teamId: team.id,
        isPrivate: i % 2 === 1,
        members: [i < 1_050 ? people.alice.id : people.bob.id, bot],
      })),
      scopes: allScopes,
    });
    client = new webApi.WebClient(botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(async () => {
    await fake?.close();
  });

  const asker = (userId: string, channelId = 'C000000') => ({ client, teamId: team.id, userId, channelId });

  it('lists a person’s conversations page by page, as users.conversations answers', async () => {
    const page = await client.users.conversations({
      user: people.alice.id,
      types: 'private_channel',
      limit: 10,
    });
    expect(page.channels).toHaveLength(10);
    expect(page.channels?.every((c) => c.is_private)).toBe(true);
    expect(page.response_metadata?.next_cursor).not.toBe('');
    await expect(client.users.conversations({ user: people.alice.id, types: 'im' })).resolves.toMatchObject({
      ok: true,
      channels: [],
    });

    const before = fake.callsOf('users.conversations').length;
    const seen = await slackChannelVisibility(memoryLogger(parseConfig({})))(asker(people.alice.id));
    expect(fake.callsOf('users.conversations').length - before).toBe(2); // 1050 conversations, 1000 a page
    // Every public room, and the private ones alice shares with the bot (the last on the second page).
    expect(seen.channels).toHaveLength(550 + 525);
    expect(seen.channels).toContain('C001049');
    expect(seen.channels).not.toContain('C001051');
    expect(seen.postable('C001048')).toBe(true);
    expect(seen.postable('C001049')).toBe(false);
    expect(seen.postable('C000000')).toBe(true);
  });

  it('keeps the answer briefly per workspace and person', async () => {
    const visibility = slackChannelVisibility(memoryLogger(parseConfig({})), { ttlMs: 300 });
    const calls = () => fake.callsOf('users.conversations').length;
    const start = calls();
    await visibility(asker(people.alice.id));
    await visibility(asker(people.alice.id, 'C000002'));
    expect(calls() - start).toBe(2); // one person, two pages, asked once
    await visibility(asker(people.bob.id));
    expect(calls() - start).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await visibility(asker(people.alice.id));
    expect(calls() - start).toBe(5);
  });

  it('answers missing_scope, naming the scope, when the token may not list a conversation type', async () => {
    fake.options.scopes = allScopes.filter((s) => s !== 'groups:read');
    try {
      await expect(
        client.users.conversations({ user: people.alice.id, types: 'public_channel,private_channel' }),
      ).rejects.toMatchObject({ data: { ok: false, error: 'missing_scope', needed: 'groups:read' } });
      const logger = memoryLogger(parseConfig({}));
      const seen = await slackChannelVisibility(logger, { ttlMs: 0 })(asker(people.alice.id, 'C000001'));
      // Only the public rooms and the conversation asked in.
      expect(seen.channels).toHaveLength(550 + 1);
      expect(seen.channels).toContain('C000001');
      expect(logger.lines.join('\n')).toContain('groups:read');
    } finally {
      fake.options.scopes = allScopes;
    }
  });
});
