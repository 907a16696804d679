import { readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ComponentType,
  GatewayIntentBits,
  InteractionResponseType,
  MessageFlags,
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIComponentInMessageActionRow,
  type APIMessage,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { decodeButton } from '../../adapters/discord/button-ids.js';
import type { RestCall } from './fake-discord/index.js';
import {
  attachment,
  buttonClick,
  chatInput,
  chatInputInDm,
  message,
  messageContextMenu,
  user,
  type MessageInit,
} from './fake-discord/payloads.js';
import { photoFolder } from '../helpers/bot.js';
import { discordHarnessForFile, interact, token } from './harness.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/images');
const cat = readFileSync(path.join(fixtures, 'photo-cat.jpg'));
const ephemeral = Number(MessageFlags.Ephemeral);

/** Twelve decodable pictures: enough for three pages of three and a fourth that ends the search. */
const extraImages = [
  'grayscale.jpg',
  'cmyk.jpg',
  'exif-orientation-6.jpg',
  'photo-coffee.webp',
  'tiny-8x8.png',
  'rgba-transparent.png',
  'animated.gif',
  'panorama-4000x300.jpg',
];

const h = discordHarnessForFile({ folder: () => photoFolder(extraImages), indexed: 12 });

const buttons = (m: APIMessage | undefined) =>
  (m?.components ?? []).flatMap((row) =>
    (row as APIActionRowComponent<APIComponentInMessageActionRow>).components.filter(
      (c): c is APIButtonComponentWithCustomId => c.type === ComponentType.Button && 'custom_id' in c,
    ),
  );
const button = (m: APIMessage | undefined, label: string) => {
  const found = buttons(m).find((b) => b.label === label);
  if (!found)
    throw new Error(
      `no "${label}" button; have ${buttons(m)
        .map((b) => b.label)
        .join(', ')}`,
    );
  return found;
};
/** The ranks listed in a results message, from its embed. */
const ranks = (m: APIMessage | undefined) =>
  [...(m?.embeds[0]?.description ?? '').matchAll(/^\*\*#(\d+)\*\*/gm)].map((x) => Number(x[1]));
/** A first page of a shaped answer: ranks 1, 2, ... up to `count`, and at least the best one. */
const expectRanksUpTo = (m: APIMessage | undefined, count: number) => {
  const listed = ranks(m);
  expect(listed.length).toBeGreaterThan(0);
  expect(listed.length).toBeLessThanOrEqual(count);
  expect(listed).toEqual(listed.map((_, i) => i + 1));
};
/** The image ids a results message offers "Similar to" for, in rank order. */
const imageIds = (m: APIMessage | undefined) =>
  buttons(m).flatMap((b) => {
    const action = decodeButton(b.custom_id);
    return action?.kind === 'similar' ? [action.imageId] : [];
  });
const edits = (calls: RestCall[]) =>
  calls.filter((c) => c.method === 'PATCH' && c.path.endsWith('/@original'));

/** A member's message in the channel, as a context-menu target. */
function postedMessage(fields: Pick<MessageInit, 'attachments' | 'embeds'>) {
  return h.fake.addMessage(message({ channelId: h.channelId, author: user('7', 'carol'), ...fields }));
}

describe('Discord adapter: searching', () => {
  let firstPage: APIMessage | undefined;
  /** Image ids of the pages shown so far, in rank order (the paged message itself changes in place). */
  const shown: string[] = [];

  it('/find is acknowledged within 3 s and answered with the contact sheet, images, list and buttons', async () => {
    // all: this test pages through every indexed image, so nothing is cut or folded.
    const x = await interact(h.fake, chatInput(h.alice, 'find', { text: 'a cat', count: 3, all: true }));
    expect((x.callback.body as { type: number }).type).toBe(
      InteractionResponseType.DeferredChannelMessageWithSource,
    );
    expect(x.callback.status).toBe(204);
    expect(x.callback.at - x.sentAt).toBeLessThan(3000);

    const edit = edits(x.calls).at(-1)!;
    expect(edit.status).toBe(200);
    const names = edit.files.map((f) => f.name);
    expect(edit.files.length).toBeGreaterThanOrEqual(2);
    expect(edit.files.every((f) => f.contentType.startsWith('image/'))).toBe(true);
    expect(edit.files.reduce((sum, f) => sum + f.bytes.length, 0)).toBeLessThanOrEqual(8 * 1024 * 1024);

    firstPage = x.message;
    shown.push(...imageIds(firstPage));
    const embed = firstPage!.embeds[0]!;
    expect(embed.image?.url).toBe(`attachment://${names[0]}`);
    expect(ranks(firstPage)).toEqual([1, 2, 3]);
    expect(embed.description).toMatch(/^\*\*#1\*\* · \d\.\d{3} · /);
    expect(buttons(firstPage).map((b) => b.label)).toEqual([
      'Similar to #1',
      'Similar to #2',
      'Similar to #3',
      'More',
    ]);
    expect(
      buttons(firstPage).every((b) => decodeButton(b.custom_id)?.ownerId === h.alice.member.user.id),
    ).toBe(true);
    expect(firstPage!.attachments.map((a) => a.filename)).toEqual(names);
  });

  it('"More" pages the same message in place: the next results, ranks continuing', async () => {
    const more = button(firstPage, 'More');
    const x = await interact(h.fake, buttonClick(h.alice, more.custom_id, firstPage!));
    expect((x.callback.body as { type: number }).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    expect(x.message?.id).toBe(firstPage!.id);
    expect(ranks(x.message)).toEqual([4, 5, 6]);
    const next = imageIds(x.message);
    expect(next).toHaveLength(3);
    expect(next.some((id) => shown.includes(id))).toBe(false);
    shown.push(...next);
    expect(x.calls.find((c) => c.method === 'PATCH')?.files.length).toBeGreaterThan(0);
  });

  it('refuses another member pressing someone’s buttons, privately, and leaves the results alone', async () => {
    const page = h.fake.messages.get(firstPage!.id)!;
    const before = JSON.stringify(page);
    for (const label of ['More', 'Similar to #4']) {
      const x = await interact(h.fake, buttonClick(h.bob, button(page, label).custom_id, page));
      expect(x.callback.body).toMatchObject({
        type: InteractionResponseType.ChannelMessageWithSource,
        data: { flags: ephemeral, content: expect.stringContaining('someone else') },
      });
      expect(x.calls).toHaveLength(1);
    }
    expect(JSON.stringify(h.fake.messages.get(firstPage!.id))).toBe(before);
  });

  it('gives nothing away when the same person presses the buttons from another server', async () => {
    const page = h.fake.messages.get(firstPage!.id)!;
    const before = JSON.stringify(page);
    const names = page.embeds[0]!.description!;
    for (const label of ['More', 'Similar to #4']) {
      const x = await interact(h.fake, buttonClick(h.aliceElsewhere, button(page, label).custom_id, page));
      const answers = [
        ...x.calls.map((c) => JSON.stringify(c.body ?? {})),
        ...x.followUps.map((m) => m.content),
      ];
      expect(x.calls.every((c) => c.files.length === 0)).toBe(true);
      expect(x.followUps).toEqual([expect.objectContaining({ flags: ephemeral })]);
      expect(x.followUps[0]?.content).toMatch(
        /^(Those results have expired|That image is no longer indexed or not visible here)/,
      );
      for (const name of names.matchAll(/· ([\w.-]+\.(?:jpe?g|png|gif|webp))/g)) {
        expect(answers.join('\n')).not.toContain(name[1]);
      }
    }
    expect(JSON.stringify(h.fake.messages.get(firstPage!.id))).toBe(before);
  });

  it('"Similar to #n" answers with a new message of images like that result', async () => {
    const page = h.fake.messages.get(firstPage!.id)!;
    const pressed = button(page, 'Similar to #5');
    const x = await interact(h.fake, buttonClick(h.alice, pressed.custom_id, page));
    expect((x.callback.body as { type: number }).type).toBe(
      InteractionResponseType.DeferredChannelMessageWithSource,
    );
    expect(x.message?.id).not.toBe(page.id);
    // Up to five: the answer is shaped (weak matches cut, near-copies folded) as every answer is.
    expectRanksUpTo(x.message, 5);
    // The result itself comes first, as similar as can be.
    const target = decodeButton(pressed.custom_id);
    expect(target?.kind === 'similar' && target.imageId).toBe(imageIds(x.message)[0]);
    expect(x.message!.embeds[0]!.description).toMatch(/^\*\*#1\*\* · 1\.000 · /);
  });

  it('/similar takes words that adjust the picture, in the query language, and refuses a bad part by name', async () => {
    const x = await interact(
      h.fake,
      chatInput(h.alice, 'similar', { result: '1', text: 'at night -flower sort:date all:true' }),
    );
    expect(x.message?.embeds[0]?.title).toMatch(
      /images like result #1 of .*, at night -flower sort:date all:true/,
    );
    expect(x.message!.embeds[0]!.description).toContain('Newest first');
    expectRanksUpTo(x.message, 5);
    const bad = await interact(
      h.fake,
      chatInput(h.alice, 'similar', { result: '1', text: 'during:2024-99' }),
    );
    expect(bad.followUps[0]?.content ?? '').toContain('during:2024-99');
  });

  it('pages through to the end: every result once, ranks continuing, no More on the last page', async () => {
    let page = h.fake.messages.get(firstPage!.id)!;
    for (let guard = 0; buttons(page).some((b) => b.label === 'More') && guard < 10; guard++) {
      const x = await interact(h.fake, buttonClick(h.alice, button(page, 'More').custom_id, page));
      page = x.message!;
      expect(ranks(page)[0]).toBe(shown.length + 1);
      shown.push(...imageIds(page));
    }
    expect(ranks(page).at(-1)).toBe(12);
    expect(new Set(shown).size).toBe(12);
  });

  it('"Find similar images" on a message downloads its attachment from the CDN and answers', async () => {
    const target = postedMessage({
      attachments: [
        attachment({
          filename: 'cat.jpg',
          contentType: 'image/jpeg',
          size: cat.length,
          channelId: h.channelId,
        }),
      ],
    });
    h.fake.cdn.put(target.attachments[0]!.url, cat, 'image/jpeg');
    const x = await interact(h.fake, messageContextMenu(h.alice, 'Find similar images', target));
    expect(x.callback.at - x.sentAt).toBeLessThan(3000);
    expect(h.fake.cdn.requests).toContainEqual({
      host: 'cdn.discordapp.com',
      path: new URL(target.attachments[0]!.url).pathname,
    });
    expectRanksUpTo(x.message, 5);
    expect(x.message?.embeds[0]?.title).toContain('cat.jpg');
    // The very same photo is indexed: it comes first.
    expect(x.message!.embeds[0]!.description).toMatch(/^\*\*#1\*\* · 1\.000 · photo-cat\.jpg/);
  });

  it('takes an embedded picture from Discord’s media proxy, and refuses one hosted elsewhere', async () => {
    const proxied = postedMessage({
      embeds: [
        {
          type: 'image' as never,
          url: 'https://images.example.com/dog.jpg',
          thumbnail: {
            url: 'https://images.example.com/dog.jpg',
            proxy_url: 'https://media.discordapp.net/external/abc/https/images.example.com/dog.jpg',
          },
        },
      ],
    });
    h.fake.cdn.put(
      'https://media.discordapp.net/external/abc/https/images.example.com/dog.jpg',
      cat,
      'image/jpeg',
    );
    const ok = await interact(h.fake, messageContextMenu(h.alice, 'Find similar images', proxied));
    expect(ok.message!.embeds[0]!.description).toMatch(/^\*\*#1\*\* · 1\.000 · photo-cat\.jpg/);

    const foreign = postedMessage({ embeds: [{ image: { url: 'https://images.example.com/dog.jpg' } }] });
    const refused = await interact(h.fake, messageContextMenu(h.alice, 'Find similar images', foreign));
    expect(refused.callback.body).toMatchObject({
      type: InteractionResponseType.ChannelMessageWithSource,
      data: {
        flags: ephemeral,
        content: expect.stringMatching(/hosted on images\.example\.com.*only fetch images from Discord/),
      },
    });
    expect(h.fake.cdn.requests.filter((r) => r.host === 'images.example.com')).toEqual([]);

    const plain = postedMessage({});
    const none = await interact(h.fake, messageContextMenu(h.alice, 'Find similar images', plain));
    expect(none.callback.body).toMatchObject({
      data: { flags: ephemeral, content: expect.stringContaining('no image') },
    });
  });

  it('refuses a non-image or oversized attachment with a clear private message', async () => {
    const text = attachment({
      filename: 'notes.txt',
      contentType: 'text/plain; charset=utf-8',
      size: 120,
      channelId: h.channelId,
    });
    const x = await interact(h.fake, chatInput(h.alice, 'similar', { image: text }));
    expect(x.callback.body).toMatchObject({
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { flags: ephemeral, content: 'notes.txt: it is a text/plain file, not an image' },
    });
    const big = attachment({
      filename: 'huge.png',
      contentType: 'image/png',
      size: h.config.LOOKALIKE_MAX_IMAGE_BYTES + 1,
    });
    const y = await interact(h.fake, chatInput(h.alice, 'similar', { image: big }));
    expect(y.callback.body).toMatchObject({
      data: { flags: ephemeral, content: expect.stringMatching(/^huge\.png: it is .* MiB; the limit is/) },
    });
  });

  it('reports an attachment whose content is not a picture privately, removing the public placeholder', async () => {
    const disguised = attachment({
      filename: 'cat.png',
      contentType: 'image/png',
      size: 40,
      channelId: h.channelId,
    });
    h.fake.cdn.put(disguised.url, Buffer.from('this is not a png at all, just text'), 'image/png');
    const x = await interact(h.fake, chatInput(h.alice, 'similar', { image: disguised }));
    expect((x.callback.body as { type: number }).type).toBe(
      InteractionResponseType.DeferredChannelMessageWithSource,
    );
    expect(x.calls.map((c) => `${c.method} ${c.status}`)).toEqual(['POST 204', 'DELETE 204', 'POST 200']);
    expect(x.followUps[0]).toMatchObject({
      flags: ephemeral,
      content: 'cat.png: its content is not an image I can read',
    });
  });

  it('keeps even an unplanned failure private: the public placeholder goes, the apology is ephemeral', async () => {
    h.fake.failNext(
      'PATCH',
      /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/,
      400,
      50035,
      'Invalid Form Body',
    );
    const x = await interact(h.fake, chatInput(h.alice, 'find', { text: 'flowers', count: 2 }));
    await h.fake.waitForCall(
      (c) => c.path.includes(x.token) && c.method === 'POST' && c.path.startsWith('/webhooks/'),
    );
    expect(x.calls.map((c) => `${c.method} ${c.status}`)).toEqual([
      'POST 204',
      'PATCH 400',
      'DELETE 204',
      'POST 200',
    ]);
    expect(h.fake.followUps(x.token)).toEqual([
      expect.objectContaining({
        flags: ephemeral,
        content: expect.stringMatching(/^Something went wrong on my side/),
      }),
    ]);
    expect(h.fake.original(x.token)).toBeUndefined();
    h.logs.splice(0); // the failure was logged as it should be; the last test checks for unexpected ones
  });

  it('answers help privately and refuses direct messages politely', async () => {
    const helpReply = await interact(h.fake, chatInput(h.alice, 'lookalike', {}, 'help'));
    expect(helpReply.followUps[0]?.flags).toBe(ephemeral);
    expect(helpReply.message).toBeUndefined();
    // Commands as they are typed on Discord: grouped ones under /lookalike, the rest on their own.
    const help = helpReply.followUps[0]!.content;
    for (const typed of [
      '/find <text>',
      '/similar',
      '/lookalike more',
      '/lookalike status',
      '/lookalike help',
    ])
      expect(help).toContain(typed);
    expect(help).not.toMatch(/(^|\s)\/(more|status|help)\b/m);
    expect(help).not.toContain('/reindex'); // admins only

    const dm = await interact(h.fake, chatInputInDm(h.fake.applicationId, user('9', 'dave'), 'find'));
    expect(dm.callback.body).toMatchObject({
      data: { flags: ephemeral, content: expect.stringContaining('servers only') },
    });
  });

  it('waits out a REST 429 and retries, so the reply still arrives', async () => {
    h.fake.rateLimitNext('PATCH', /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/, 1);
    const x = await interact(h.fake, chatInput(h.alice, 'find', { text: 'flowers', count: 2 }));
    const [limited, retried] = edits(x.calls);
    expect(limited?.status).toBe(429);
    expect(retried?.status).toBe(200);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);
    expect(retried!.files.length).toBeGreaterThan(0);
    expect(ranks(x.message)).toEqual([1, 2]);
    expect(h.logs.some((l) => l.includes('discord: rate limited, waiting'))).toBe(true);
  });

  it('stayed on one gateway session with the Guilds intent only, heartbeats acknowledged, no failures logged', () => {
    expect(h.fake.identifies).toEqual([
      expect.objectContaining({ token, intents: Number(GatewayIntentBits.Guilds) }),
    ]);
    expect(h.fake.heartbeats).toBeGreaterThanOrEqual(2);
    expect(h.logs.filter((l) => / (warn|error) /.test(l))).toEqual([]);
  });
});

describe('Discord adapter: searching the words in images', () => {
  // Its own server folder: the four photos and a meme, indexed with the real OCR models.
  const t = discordHarnessForFile({
    folder: async () => {
      const folder = await photoFolder();
      const meme = path.resolve(import.meta.dirname, '../fixtures/ocr/meme-000.jpg');
      await copyFile(meme, path.join(folder.dir, 'meme-000.jpg'));
      return folder;
    },
    indexed: 5,
    readText: true,
  });

  it('shows the words that matched under the image they were read in', async () => {
    const x = await interact(t.fake, chatInput(t.alice, 'find', { text: 'yourselves', count: 3 }));
    const lines = (x.message?.embeds[0]?.description ?? '').split('\n');
    // The words as they were read (capitals in this meme), quoted after the image's name.
    expect(lines[0]).toMatch(/^\*\*#1\*\* · \d\.\d{3} · meme-000\.jpg · “[A-Z ]*YOURSELVES[A-Z ]*”$/);
    expect(lines.slice(1).some((line) => line.includes('“'))).toBe(false);
  });

  it('shows no words under images found by what they show', async () => {
    const x = await interact(t.fake, chatInput(t.alice, 'find', { text: 'a cat', count: 5, all: true }));
    expect(ranks(x.message)).toEqual([1, 2, 3, 4, 5]);
    expect(x.message?.embeds[0]?.description).not.toContain('“');
  });
});
