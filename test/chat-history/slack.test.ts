import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../../commands/channels.js';
import { commands } from '../../commands/index.js';
import { people, startSlackHarness, team, type SlackHarness } from '../slack/harness.js';
import { indexConversation, linkOf, nextEphemeral, postPhotos, shared, until } from './slack-fixture.js';
import { backends, chatTestBot, type ChatTestBot } from './test-bot.js';

const secret = 'C0SECRET';

describe.each(backends)('Slack conversation history (%s store)', (backend) => {
  let test: ChatTestBot;
  let h: SlackHarness;
  beforeAll(async () => {
    test = await chatTestBot(backend, { commands: [...commands, channels] });
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

  const index = (channelId: string) => indexConversation(h, test, channelId);
  const general = () => h.channels.general.id;
  const stored = async (channelId: string) => {
    const docs = new Map<string, string | undefined>();
    for await (const doc of test.store.scan(team.id, `slack:${channelId}`))
      docs.set(doc.image_name, doc.permalink);
    return docs;
  };

  it('indexes the image files of messages and of thread replies with their permalinks, skipping other files', async () => {
    const parent = postPhotos(h, general(), 'cat');
    h.fake.userMessage(general(), people.alice.id, 'notes', [
      h.fake.addFile({ name: 'notes.txt', bytes: Buffer.from('hello'), mimetype: 'text/plain' }),
    ]);
    const reply = h.fake.threadReply(parent, people.bob.id, 'mine', [shared(h, 'coffee')]);
    // Also sent to the channel: conversations.history lists it too, and it is indexed once.
    const broadcast = h.fake.threadReply(parent, people.bob.id, 'and this', [shared(h, 'china')], {
      broadcast: true,
    });
    const repliesBefore = h.fake.callsOf('conversations.replies').length;

    expect(await index(general())).toMatchObject({ new: 3, failed: [] });
    expect(h.fake.callsOf('conversations.replies').length - repliesBefore).toBe(1);
    expect(await stored(general())).toEqual(
      new Map([
        ['cat.jpg', linkOf(parent)],
        ['coffee.jpg', linkOf(reply)],
        ['china.jpg', linkOf(broadcast)],
      ]),
    );
    expect(linkOf(reply)).toContain(`?thread_ts=${parent.ts}&cid=${general()}`);

    // Again: nothing downloaded; a deleted reply's image leaves the index.
    const downloads = h.fake.files.requests.length;
    h.fake.messages.splice(h.fake.messages.indexOf(reply), 1);
    expect(await index(general())).toMatchObject({ new: 0, unchanged: 2, deleted: 1 });
    expect(h.fake.files.requests.length).toBe(downloads);
    expect([...(await stored(general())).keys()].sort()).toEqual(['cat.jpg', 'china.jpg']);
  });

  it('drops the images of deleted messages on the next walk', async () => {
    const hidden = postPhotos(h, secret, 'flower');
    expect((await index(secret)).new).toBe(1);
    h.fake.messages.splice(h.fake.messages.indexOf(hidden), 1);
    expect((await index(secret)).deleted).toBe(1);
    expect(await test.countOf(team.id, `slack:${secret}`)).toBe(0);
  });

  it('lets an admin add a channel with /channels, and refuses one the bot is not in', async () => {
    postPhotos(h, secret, 'coffee');
    await h.as(people.admin).command(general(), '/channels', 'add secret');
    expect(await until(() => test.countOf(team.id, `slack:${secret}`), 1)).toBe(1);

    const refusal = await nextEphemeral(h, people.admin.id, () =>
      h.as(people.admin).command(general(), '/channels', `add <#${h.channels.random.id}|random>`),
    );
    expect(refusal.text).toContain('invite me to #random');
  });
});
