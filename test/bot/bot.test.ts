import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactSheetSize } from '../../src/render/contact-sheet.js';
import type { Reply } from '../../src/bot/types.js';
import {
  createTestBot,
  fixtureImagesDir,
  indexFolder,
  photoFolder,
  photoNames,
  requestFrom,
  type TestBot,
} from '../helpers/bot.js';

type Results = Extract<Reply, { kind: 'results' }>;

function results(reply: Reply): Results {
  if (reply.kind !== 'results') throw new Error(`expected results, got ${JSON.stringify(reply)}`);
  return reply;
}

const names = (reply: Reply) => results(reply).hits.map((h) => h.hit.image_name);

describe('the bot over the real model and embedded store', () => {
  let test: TestBot;
  let photos: { dir: string; remove(): Promise<void> };

  beforeAll(async () => {
    test = await createTestBot();
    photos = await photoFolder();
    const report = await indexFolder(test, photos.dir);
    expect(report.new).toBe(photoNames.length);
  });

  afterAll(async () => {
    await test?.close();
    await photos?.remove();
  });

  it('finds images by text: ranked hits, a contact sheet of the expected size, the top images attached', async () => {
    const reply = results(await test.bot.handle(requestFrom('find', { text: 'a photo of a cat', count: 3 })));
    expect(reply.hits.map((h) => h.rank)).toEqual([1, 2, 3]);
    const scores = reply.hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(reply.hits.every((h) => photoNames.includes(h.location))).toBe(true);
    const sheet = await sharp(reply.contactSheet!.bytes).metadata();
    expect({ width: sheet.width, height: sheet.height }).toEqual({
      width: contactSheetSize(3).width,
      height: contactSheetSize(3).height,
    });
    // The top images go along as their thumbnails (JPEG), named after the images.
    expect(reply.images.map((i) => i.name)).toEqual(names(reply).map((n) => n.replace(/\.\w+$/, '.jpg')));
    expect(reply.images.every((i) => i.contentType === 'image/jpeg')).toBe(true);
    expect(reply.cursor).toBeDefined();
  });

  it('pages with more: the cursor continues where the page ended, and says when nothing is left', async () => {
    const first = results(await test.bot.handle(requestFrom('find', { text: 'coffee', count: '3' })));
    const second = results(await test.bot.handle(requestFrom('more', { cursor: first.cursor })));
    expect(second.hits.map((h) => h.rank)).toEqual([4]);
    expect(second.cursor).toBeUndefined();
    expect(new Set([...names(first), ...names(second)])).toEqual(new Set(photoNames));
    // Without a cursor, `more` continues the asker's latest search.
    const again = await test.bot.handle(requestFrom('more'));
    expect(again).toEqual({ kind: 'text', text: 'No more results for “coffee”.' });
  });

  it('refuses a cursor from another tenant as if it had expired', async () => {
    const first = results(await test.bot.handle(requestFrom('find', { text: 'flower', count: 1 })));
    const elsewhere = await test.bot.handle(
      requestFrom('more', { cursor: first.cursor }, { tenant: 'guild-2' }),
    );
    // Sentences for people: nothing they never typed ("more:", a cursor) leads the answer.
    expect(elsewhere).toEqual({
      kind: 'error',
      text: 'Those results have expired; run the search again.',
    });
    const forged = await test.bot.handle(requestFrom('more', { cursor: 'not-a-cursor' }));
    expect(forged).toEqual({
      kind: 'error',
      text: 'That is not a page of one of my searches; run the search again.',
    });
    expect(await test.bot.handle(requestFrom('more', {}, { actor: { id: 'new', isAdmin: false } }))).toEqual({
      kind: 'error',
      text: 'You have no recent search here to continue; search first.',
    });
    expect(await test.bot.handle(requestFrom('similar', { result: '#9' }, { tenant: 'guild-9' }))).toEqual({
      kind: 'error',
      text: 'There is no result #9 in your latest search here; search first.',
    });
  });

  it('finds an indexed image first when given its bytes, a result number or its image id', async () => {
    const bytes = await readFile(path.join(fixtureImagesDir, 'photo-china.jpg'));
    const byBytes = results(
      await test.bot.handle(requestFrom('similar', {}, { image: { name: 'photo-china.jpg', bytes } })),
    );
    expect(byBytes.hits[0]?.hit.image_name).toBe('photo-china.jpg');
    expect(byBytes.hits[0]?.score).toBeGreaterThan(0.999);

    const byRank = results(await test.bot.handle(requestFrom('similar', { result: '#2' })));
    expect(byRank.hits[0]?.hit.image_id).toBe(byBytes.hits[1]?.hit.image_id);
    expect(byRank.title).toBe('images like result #2 of images like photo-china.jpg');

    const id = byBytes.hits[0]!.hit.image_id;
    const byId = results(await test.bot.handle(requestFrom('similar', { result: id, count: 1 })));
    expect(byId.hits.map((h) => h.hit.image_id)).toEqual([id]);
  });

  it('needs exactly one thing to match, and names bad options', async () => {
    expect(await test.bot.handle(requestFrom('similar'))).toMatchObject({
      kind: 'error',
      text: expect.stringMatching(/exactly one/),
    });
    expect(await test.bot.handle(requestFrom('find', { text: 'cat', count: 50 }))).toEqual({
      kind: 'error',
      text: 'count: must be from 1 to 20, got 50',
    });
    expect(await test.bot.handle(requestFrom('find', { text: 'cat', colour: 'red' }))).toEqual({
      kind: 'error',
      text: '/find: unknown option "colour"; its options are text, count, in, from, after, before, during, type, source, sort, all',
    });
    expect(await test.bot.handle(requestFrom('find'))).toMatchObject({
      kind: 'error',
      text: expect.stringMatching(/^text: \/find needs text/),
    });
    expect(await test.bot.handle(requestFrom('bogus'))).toMatchObject({
      kind: 'error',
      text: expect.stringMatching(/^Unknown command \/bogus\. Try \/find/),
    });
    const notAnImage = { name: 'notes.jpg', bytes: Buffer.from('hello, not an image') };
    const bad = await test.bot.handle(requestFrom('similar', {}, { image: notAnImage }));
    expect(bad).toMatchObject({ kind: 'error', text: expect.stringMatching(/^notes\.jpg: /) });
  });

  it("keeps tenants apart: a guild never sees another guild's images", async () => {
    const other = await photoFolder();
    try {
      await indexFolder(test, other.dir, 'guild-2');
      // all: the same photos in both tenants are near-copies of each other, which an answer folds.
      const here = results(await test.bot.handle(requestFrom('find', { text: 'cat', count: 20, all: true })));
      expect(here.hits.every((h) => h.hit.tenant === '*')).toBe(true);
      const there = results(
        await test.bot.handle(
          requestFrom('find', { text: 'cat', count: 20, all: true }, { tenant: 'guild-2' }),
        ),
      );
      expect(new Set(there.hits.map((h) => h.hit.tenant))).toEqual(new Set(['*', 'guild-2']));
      const guild2Id = there.hits.find((h) => h.hit.tenant === 'guild-2')!.hit.image_id;
      expect(await test.bot.handle(requestFrom('similar', { result: guild2Id }))).toEqual({
        kind: 'error',
        text: 'That image is no longer indexed or not visible here; run a new search.',
      });
    } finally {
      await other.remove();
    }
  });

  it('returns chat images only from channels the asker can see', async () => {
    const [vector] = await test.embedder.embedImages([
      { name: 'cat', path: path.join(fixtureImagesDir, 'photo-cat.jpg') },
    ]);
    const doc = (channel: string) => ({
      image_id: `chat-${channel}`,
      image_name: `posted-in-${channel}.jpg`,
      source: `discord:${channel}`,
      tenant: 'guild-3',
      channel_id: channel,
      permalink: `https://discord.com/channels/guild-3/${channel}/1`,
      sha256: 'x'.repeat(64),
      width: 451,
      height: 300,
      bytes: 35042,
      indexed_at: new Date().toISOString(),
      model_id: test.embedder.modelId,
      image_embedding: vector as Float32Array,
    });
    expect((await test.store.upsert([doc('c1'), doc('c2')])).failed).toEqual([]);
    const ask = (visibleChannels?: string[]) =>
      test.bot.handle(
        requestFrom('find', { text: 'a cat', count: 20, all: true }, { tenant: 'guild-3', visibleChannels }),
      );
    const chatHits = (reply: Reply) => names(reply).filter((n) => n.startsWith('posted-in-'));
    expect(chatHits(await ask(['c1']))).toEqual(['posted-in-c1.jpg']);
    expect(chatHits(await ask([])).length).toBe(0);
    expect(chatHits(await ask()).sort()).toEqual(['posted-in-c1.jpg', 'posted-in-c2.jpg']);
    const fromC1 = results(await ask(['c1'])).hits.find((h) => h.hit.channel_id === 'c1');
    expect(fromC1?.location).toBe('https://discord.com/channels/guild-3/c1/1');
  });

  it('fetches a linked image from an allowed host only', async () => {
    const server = createServer(async (_req, res) =>
      res.end(await readFile(path.join(fixtureImagesDir, 'photo-flower.jpg'))),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flower.jpg`;
      const refused = await test.bot.handle(requestFrom('similar', { url }));
      expect(refused).toMatchObject({
        kind: 'error',
        text: expect.stringMatching(/images are not fetched from 127\.0\.0\.1/),
      });
      const allowed = await createTestBot({
        env: { LOOKALIKE_ALLOWED_IMAGE_HOSTS: '127.0.0.1', LOOKALIKE_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
      });
      try {
        await indexFolder(allowed, photos.dir);
        const reply = results(await allowed.bot.handle(requestFrom('similar', { url })));
        expect(reply.title).toBe('images like flower.jpg');
        expect(reply.hits[0]?.hit.image_name).toBe('photo-flower.jpg');
      } finally {
        await allowed.close();
      }
    } finally {
      server.close();
    }
  });

  it('reports status: store, model, images here and the last index run', async () => {
    const reply = await test.bot.handle(requestFrom('status'));
    expect(reply.kind).toBe('text');
    const text = (reply as { text: string }).text;
    expect(text).toMatch(/^Store: embedded \(index lookalike-images\)\n/);
    expect(text).toContain(`Model: ${test.embedder.modelId} (${test.embedder.dims} dimensions)`);
    expect(text).toContain('Images searchable here: 4 (including shared folders)');
    // A chat member sees the folder's name, never the bot machine's paths.
    expect(text).toContain(`Last index run: ${path.basename(photos.dir)} at `);
    expect(text).not.toContain(photos.dir);
    expect(text).toMatch(/: 4 new, 0 updated, 0 unchanged, 0 deleted, 0 failed/);
  });

  it('lists the commands in help, admin ones only for admins', async () => {
    const member = (await test.bot.handle(requestFrom('help'))) as { text: string };
    expect(member.text).toContain('/find <text> [count]');
    expect(member.text).not.toContain('/reindex');
    const admin = (await test.bot.handle(requestFrom('help', {}, { actor: { id: 'a', isAdmin: true } }))) as {
      text: string;
    };
    expect(admin.text).toContain('/reindex [source] [full]');
  });
});
