import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveChatIndexer } from '../../src/indexer/live-chat.js';
import { messageObject, type Message } from '../slack/fake-slack/index.js';
import { people, startSlackHarness, team, type SlackHarness } from '../slack/harness.js';
import { deliverEvent, linkOf, postPhotos, shared, until } from './slack-fixture.js';
import { backends, chatTestBot, liveIndexing, type ChatTestBot } from './test-bot.js';

describe.each(backends)('live indexing on Slack (%s store)', (backend) => {
  let test: ChatTestBot;
  let h: SlackHarness;
  let live: LiveChatIndexer;
  beforeAll(async () => {
    test = await chatTestBot(backend);
    const { channels, live: indexer } = liveIndexing(test);
    live = indexer;
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

  const general = () => h.channels.general.id;
  const count = () => test.countOf(team.id, `slack:${general()}`);
  /** The message event Slack sends for a message (or a change of one) in #general. */
  const event = (fields: Record<string, unknown>) =>
    deliverEvent(h, { type: 'message', channel: general(), ...fields });
  const shareEvent = (message: Message) => event({ ...messageObject(message), subtype: 'file_share' });
  const edit = (message: Message, files: unknown[]) =>
    event({
      subtype: 'message_changed',
      message: { ...messageObject(message), files, edited: { ts: String(Date.now() / 1000) } },
      previous_message: messageObject(message),
    });
  const remove = (message: Message) =>
    event({ subtype: 'message_deleted', deleted_ts: message.ts, previous_message: messageObject(message) });
  /** Live indexing runs so far (each logs one line). */
  const runs = () => test.logger.lines.filter((l) => l.includes(`indexed slack:${general()}`)).length;
  /** Empties the channel for the next test. */
  const cleanUp = async (...messages: Message[]) => {
    for (const message of messages) await remove(message);
    expect(await until(count, 0)).toBe(0);
  };

  it('indexes shared images as they arrive, follows edits and deletions', async () => {
    const message = postPhotos(h, general(), 'cat', 'flower');
    expect((await shareEvent(message)).status).toBe(200);
    expect(await until(count, 2)).toBe(2);

    await edit(message, message.files!.slice(0, 1));
    expect(await until(count, 1)).toBe(1);

    await remove(message);
    expect(await until(count, 0)).toBe(0);
  });

  it('indexes images posted in threads, with links that open the thread', async () => {
    const parent = postPhotos(h, general(), 'cat');
    const reply = h.fake.threadReply(parent, people.bob.id, 'same here', [shared(h, 'coffee')]);
    const broadcast = h.fake.threadReply(parent, people.bob.id, 'everyone look', [shared(h, 'china')], {
      broadcast: true,
    });
    await shareEvent(parent);
    await shareEvent(reply);
    await event(messageObject(broadcast)); // a broadcast reply comes as subtype thread_broadcast
    expect(await until(count, 3)).toBe(3);
    const links = new Map<string, string | undefined>();
    for await (const doc of test.store.scan(team.id, `slack:${general()}`))
      links.set(doc.image_name, doc.permalink);
    expect(links.get('coffee.jpg')).toBe(linkOf(reply));
    expect(links.get('china.jpg')).toBe(linkOf(broadcast));
    await cleanUp(parent, reply, broadcast);
  });

  it('follows an edit that arrives while the post still waits to be indexed', async () => {
    const before = runs();
    const message = postPhotos(h, general(), 'cat', 'flower');
    await shareEvent(message);
    await edit(message, message.files!.slice(1));
    expect(await until(async () => runs() > before, true)).toBe(true);
    expect(await count()).toBe(1);
    const names = [];
    for await (const doc of test.store.scan(team.id, `slack:${general()}`)) names.push(doc.image_name);
    expect(names).toEqual(['flower.jpg']);
    await cleanUp(message);
  });

  it('drops a deleted file, whether its message is edited to a tombstone or only file_deleted arrives', async () => {
    const message = postPhotos(h, general(), 'cat', 'flower', 'coffee');
    await shareEvent(message);
    expect(await until(count, 3)).toBe(3);
    const [cat, flower] = message.files as { id: string }[];

    // Slack replaces a deleted file in its message by a tombstone.
    await edit(message, [{ id: cat!.id, mode: 'tombstone' }, ...message.files!.slice(1)]);
    expect(await until(count, 2)).toBe(2);

    await deliverEvent(h, { type: 'file_deleted', file_id: flower!.id, channel_ids: [general()] });
    expect(await until(count, 1)).toBe(1);
    await cleanUp(message);
  });

  it('leaves edits that keep a message’s files alone, without downloading them again', async () => {
    const message = postPhotos(h, general(), 'china');
    await shareEvent(message);
    expect(await until(count, 1)).toBe(1);
    const downloads = h.fake.files.requests.length;
    const before = runs();
    await edit(message, message.files!);
    expect(await until(async () => runs() > before, true)).toBe(true);
    expect(await count()).toBe(1);
    expect(h.fake.files.requests.length).toBe(downloads);
    await cleanUp(message);
  });

  it('keeps an image posted twice findable, under the remaining post, when the other is deleted', async () => {
    const first = postPhotos(h, general(), 'coffee');
    await shareEvent(first);
    expect(await until(count, 1)).toBe(1);
    const before = runs();
    const second = postPhotos(h, general(), 'coffee');
    await shareEvent(second);
    expect(await until(async () => runs() > before, true)).toBe(true);
    expect(await count()).toBe(1); // one document for both copies

    h.fake.messages.splice(h.fake.messages.indexOf(first), 1);
    await remove(first);
    const links = async () => {
      await test.refresh();
      const found: (string | undefined)[] = [];
      for await (const doc of test.store.scan(team.id, `slack:${general()}`)) found.push(doc.permalink);
      return found.join();
    };
    expect(await until(links, linkOf(second))).toBe(linkOf(second));
    await cleanUp(second);
  });
});
