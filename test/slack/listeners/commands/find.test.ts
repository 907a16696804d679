import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { moreActionId } from '../../../../adapters/slack/button-ids.js';
import {
  blocksOf,
  botToken,
  hitSections,
  people,
  slackHarnessForFile,
  slackNow,
  waitForResults,
} from '../../harness.js';

const h = slackHarnessForFile();

describe('/find', () => {
  it('acknowledges at once, then posts the ranked list with buttons and uploads the contact sheet in three steps', async () => {
    const since = slackNow();
    const callsBefore = h.fake.calls.length;
    const delivery = await h
      .as(people.alice)
      .command(h.channels.general.id, '/find', 'snowy mountain count:3');
    expect(delivery.status).toBe(200);
    expect(delivery.ms).toBeLessThan(3000);
    expect(delivery.body).toBe('');

    const { results, sheet } = await waitForResults(h.fake, h.channels.general.id, since);
    const sections = hitSections(results);
    expect(sections).toHaveLength(3);
    expect(blocksOf(results)[0]?.text?.text).toBe('*Results 1–3 for “snowy mountain”*');
    expect(JSON.stringify(results.blocks)).toContain(`asked by <@${people.alice.id}>`);
    sections.forEach((s, i) => {
      expect(s.text?.text).toMatch(new RegExp(`^\\*#${i + 1}\\*  \`-?\\d\\.\\d{3}\``));
      expect(s.accessory).toMatchObject({ action_id: `lookalike.similar.${i + 1}` });
      expect(s.accessory!.value).toMatch(/^[0-9a-f]{32}$/);
    });
    const more = blocksOf(results).find((b) => b.type === 'actions') as {
      elements: { action_id: string; value: string }[];
    };
    expect(more.elements[0]).toMatchObject({
      action_id: moreActionId,
      value: expect.stringMatching(/^[\w-]{12}\.3$/),
    });
    expect(results.text).toContain('#1');

    const steps = h.fake.calls
      .slice(callsBefore)
      .map((c) => c.method)
      .filter((m) => /^(files\.|upload$)/.test(m));
    expect(steps).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
    const [file] = sheet.files as { bytes: Buffer; name: string; uploadAuthorization?: string }[];
    expect(file!.name).toBe('lookalike-1-3.jpg');
    expect(file!.uploadAuthorization).toBe(`Bearer ${botToken}`);
    expect(await sharp(file!.bytes).metadata()).toMatchObject({ format: 'jpeg' });
    expect(sheet.channel).toBe(h.channels.general.id);
  });

  it('keeps the numbers of a query: "/find apollo 11" searches for "apollo 11"', async () => {
    const since = slackNow();
    await h.as(people.bob).command(h.channels.general.id, '/find', 'apollo 11');
    const { results } = await waitForResults(h.fake, h.channels.general.id, since);
    expect(blocksOf(results)[0]?.text?.text).toMatch(/ for “apollo 11”\*$/);
    expect(hitSections(results).length).not.toBe(11);
  });

  it('takes the count as --count too, and answers ephemerally when the text is missing', async () => {
    const since = slackNow();
    await h.as(people.bob).command(h.channels.general.id, '/find', 'coffee --count 2');
    const { results } = await waitForResults(h.fake, h.channels.general.id, since);
    expect(hitSections(results)).toHaveLength(2);

    await h.as(people.bob).command(h.channels.general.id, '/find', '   ');
    const note = await h.fake.waitForEphemeral(people.bob.id);
    expect(note.text).toMatch(/text.*\/find needs text/);
    expect(note.via).toBe('response_url');
  });

  it('answers through the response URL, without files, where the bot is not a member', async () => {
    const delivery = await h.as(people.alice).command(h.channels.random.id, '/find', 'flowers count:2');
    expect(delivery.status).toBe(200);
    const posted = await h.fake.waitForMessage((m) => m.channel === h.channels.random.id);
    expect(posted.via).toBe('response_url');
    expect(hitSections(posted)).toHaveLength(2);
    expect(JSON.stringify(posted.blocks)).toContain('/invite @lookalike');
    expect(h.fake.botMessages(h.channels.random.id).filter((m) => m.files)).toEqual([]);
  });

  it("waits out Slack's rate limit (429 with Retry-After) and still delivers the answer", async () => {
    const since = slackNow();
    h.fake.rateLimitNext('chat.postMessage', 1);
    await h.as(people.alice).command(h.channels.general.id, '/find', 'red car count:2');
    const { results } = await waitForResults(h.fake, h.channels.general.id, since);
    expect(hitSections(results)).toHaveLength(2);
    const posts = h.fake.callsOf('chat.postMessage').filter((c) => c.at >= since * 1000);
    const limited = posts.findIndex((c) => c.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    expect(posts[limited + 1]!.status).toBe(200);
    expect(posts[limited + 1]!.at - posts[limited]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('never logs the tokens or the signing secret', () => {
    const logs = h.logs.join('\n');
    expect(logs).not.toContain(botToken);
    expect(logs).not.toContain(h.config.SLACK_SIGNING_SECRET!);
  });
});

describe('/find over the words in images', () => {
  // Its own workspace folder with a meme besides the photos, indexed with the real OCR models.
  const t = slackHarnessForFile({ bot: { readText: true } });

  it('shows the words that matched under the image they were read in, in the blocks and the fallback text', async () => {
    const since = slackNow();
    await t.as(people.alice).command(t.channels.general.id, '/find', 'yourselves count:3');
    const { results } = await waitForResults(t.fake, t.channels.general.id, since);
    const sections = hitSections(results).map((s) => s.text?.text ?? '');
    // The words as they were read (capitals in this meme), quoted on their own line under the image's name.
    expect(sections[0]).toMatch(/^\*#1\* {2}`\d\.\d{3}` {2}\*meme-000\.jpg\*\n“[A-Z ]*YOURSELVES[A-Z ]*”/);
    expect(sections.slice(1).some((text) => text.includes('“'))).toBe(false);
    expect(results.text).toMatch(/meme-000\.jpg.*“[A-Z ]*YOURSELVES[A-Z ]*”/);
  });

  it('shows no words under images found by what they show', async () => {
    const since = slackNow();
    await t.as(people.alice).command(t.channels.general.id, '/find', 'snowy mountain count:3');
    const { results } = await waitForResults(t.fake, t.channels.general.id, since);
    expect(hitSections(results)).toHaveLength(3);
    expect(hitSections(results).some((s) => s.text?.text.includes('“'))).toBe(false);
  });
});
