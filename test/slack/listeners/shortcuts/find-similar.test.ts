import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { similarShortcut } from '../../../../adapters/slack/slash-commands.js';
import { otherHost } from '../../fake-slack/index.js';
import { hitSections, people, slackHarnessForFile, slackNow, waitForResults } from '../../harness.js';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/images');
const cat = readFileSync(path.join(fixtures, 'photo-cat.jpg'));
const china = readFileSync(path.join(fixtures, 'photo-china.jpg'));

/** Between the cat (35 KB) and the China photo (197 KB). */
const maxImageBytes = 100_000;

const h = slackHarnessForFile({ env: { LOOKALIKE_MAX_IMAGE_BYTES: String(maxImageBytes) } });

const general = () => h.channels.general.id;

describe('the "Find similar images" message shortcut', () => {
  it("downloads the message's picture with the bot token and answers in its thread", async () => {
    const file = h.fake.addFile({ name: 'my-cat.jpg', bytes: cat, mimetype: 'image/jpeg' });
    const message = h.fake.userMessage(general(), people.alice.id, 'look at this', [file]);
    const since = slackNow();
    const delivery = await h.as(people.bob).shortcut(message, similarShortcut.callbackId);
    expect(delivery.status).toBe(200);
    expect(delivery.ms).toBeLessThan(3000);

    const { results, sheet } = await waitForResults(h.fake, general(), since);
    expect(results.thread_ts).toBe(message.ts);
    expect(sheet.thread_ts).toBe(message.ts);
    expect(JSON.stringify(results.blocks)).toContain('images like my-cat.jpg');
    expect(hitSections(results)[0]!.text!.text).toMatch(/^\*#1\* {2}`1\.000` {2}\*photo-cat\.jpg\*/);
    const download = h.fake.files.requestsTo('files.slack.com').at(-1);
    expect(download?.path).toContain(file.id);
    expect(download?.authorization).toBe(`Bearer ${h.config.SLACK_BOT_TOKEN}`);
  });

  it('asks files.info when the message leaves the file details out', async () => {
    const file = h.fake.addFile({ name: 'cat-again.jpg', bytes: cat, mimetype: 'image/jpeg' });
    const message = h.fake.userMessage(general(), people.alice.id, '', [
      { id: file.id, file_access: 'check_file_info' } as never,
    ]);
    const since = slackNow();
    await h.as(people.alice).shortcut(message, similarShortcut.callbackId);
    const { results } = await waitForResults(h.fake, general(), since);
    expect(JSON.stringify(results.blocks)).toContain('images like cat-again.jpg');
    expect(h.fake.callsOf('files.info').at(-1)?.args.file).toBe(file.id);
  });

  it('says so when the message has no picture', async () => {
    const message = h.fake.userMessage(general(), people.alice.id, 'no picture here');
    await h.as(people.bob).shortcut(message, similarShortcut.callbackId);
    const note = await h.fake.waitForEphemeral(people.bob.id);
    expect(note.text).toContain('that message has no picture');
  });

  it('refuses a file on a host that is not Slack’s and never sends the token there', async () => {
    h.fake.files.put(`https://${otherHost}/cat.jpg`, cat, 'image/jpeg', { private: false });
    const file = h.fake.addFile({
      name: 'elsewhere.jpg',
      bytes: cat,
      mimetype: 'image/jpeg',
      url: `https://${otherHost}/cat.jpg`,
    });
    const redirected = h.fake.addFile({ name: 'moved.jpg', bytes: cat, mimetype: 'image/jpeg' });
    h.fake.files.redirect(redirected.url_private, `https://${otherHost}/cat.jpg`);
    const before = h.fake.messages.length;
    for (const [who, f] of [
      [people.alice, file],
      [people.curator, redirected],
    ] as const) {
      await h.as(who).shortcut(h.fake.userMessage(general(), who.id, '', [f]), similarShortcut.callbackId);
      const note = await h.fake.waitForEphemeral(who.id);
      expect(note.text).toMatch(/served from images\.example\.com; I only download from Slack's file hosts/);
    }
    const foreign = h.fake.files.requestsTo(otherHost);
    expect(foreign.every((r) => r.authorization === undefined)).toBe(true);
    expect(foreign).toEqual([]);
    expect(h.fake.messages.slice(before).filter((m) => m.via !== 'user')).toEqual([]);
  });

  it('refuses an oversized picture with a clear message', async () => {
    const big = h.fake.addFile({ name: 'china.jpg', bytes: china, mimetype: 'image/jpeg' });
    await h
      .as(people.admin)
      .shortcut(h.fake.userMessage(general(), people.admin.id, '', [big]), similarShortcut.callbackId);
    const note = await h.fake.waitForEphemeral(people.admin.id);
    expect(note.text).toBe(':warning: china.jpg: it is 0.2 MiB; the limit is 0.1 MiB');
    // Slack understated the size: the download stops at the limit.
    const liar = h.fake.addFile({
      name: 'liar.jpg',
      bytes: china,
      mimetype: 'image/jpeg',
      declaredSize: 1000,
    });
    await h
      .as(people.bob)
      .shortcut(h.fake.userMessage(general(), people.bob.id, '', [liar]), similarShortcut.callbackId);
    await expect
      .poll(() => h.fake.ephemeralsFor(people.bob.id).at(-1)?.text)
      .toMatch(/liar\.jpg: it is 0\.2 MiB; the limit is 0\.1 MiB/);
  });
});
