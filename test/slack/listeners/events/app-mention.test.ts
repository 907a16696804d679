import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpTransport, type Transport } from '../../fake-slack/requests.js';
import {
  hitSections,
  people,
  signingSecret,
  slackHarnessForFile,
  slackNow,
  waitForResults,
} from '../../harness.js';

const coffee = readFileSync(path.resolve(import.meta.dirname, '../../../fixtures/images/photo-coffee.jpg'));

const h = slackHarnessForFile();

const general = () => h.channels.general.id;

describe('mentioning the bot', () => {
  it('with a picture attached finds images like it, answered in the thread', async () => {
    const file = h.fake.addFile({ name: 'cup.jpg', bytes: coffee, mimetype: 'image/jpeg' });
    const since = slackNow();
    const { message, delivery } = h.as(people.alice).mention(general(), 'what looks like this?', [file]);
    expect(await delivery).toMatchObject({ status: 200, ms: expect.any(Number) });
    expect((await delivery).ms).toBeLessThan(3000);
    const { results, sheet } = await waitForResults(h.fake, general(), since);
    expect(results.thread_ts).toBe(message.ts);
    expect(sheet.thread_ts).toBe(message.ts);
    expect(hitSections(results)[0]!.text!.text).toMatch(/^\*#1\* {2}`1\.000` {2}\*photo-coffee\.jpg\*/);
  });

  it('with words searches for them', async () => {
    const since = slackNow();
    const { message } = h.as(people.bob).mention(general(), 'red flowers count:2');
    const { results } = await waitForResults(h.fake, general(), since);
    expect(results.thread_ts).toBe(message.ts);
    expect(hitSections(results)).toHaveLength(2);
    expect(JSON.stringify(results.blocks)).toContain('for “red flowers”');
  });

  it('with nothing else shows help to the asker only', async () => {
    const { message } = h.as(people.curator).mention(general(), '');
    const note = await h.fake.waitForEphemeral(people.curator.id);
    expect(note.via).toBe('chat.postEphemeral');
    expect(note.thread_ts).toBe(message.ts);
    expect(note.text).toContain('/find');
  });

  it('answers an event Slack delivers again (X-Slack-Retry-Num) only once', async () => {
    const sent: Parameters<Transport['deliver']>[] = [];
    const http = httpTransport(h.requestUrl, signingSecret);
    const recording: Transport = { deliver: (...args) => (sent.push(args), http.deliver(...args)) };
    const since = slackNow();
    const { message, delivery } = h.as(people.alice, recording).mention(general(), 'harbour count:1');
    await delivery;
    const retry = httpTransport(h.requestUrl, signingSecret, {
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect((await retry.deliver(...sent[0]!)).status).toBe(200);
    await waitForResults(h.fake, general(), since);
    await sleep(1500); // time for a second answer, were there one
    const answers = h.fake.botMessages(general(), message.ts).filter((m) => hitSections(m).length > 0);
    expect(answers).toHaveLength(1);
  });
});
