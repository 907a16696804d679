import { describe, expect, it } from 'vitest';
import { moreActionId } from '../../../../adapters/slack/button-ids.js';
import { indexedCount } from '../../bot.js';
import type { Message } from '../../fake-slack/index.js';
import {
  hitSections,
  moreButton,
  people,
  ranks,
  slackHarnessForFile,
  slackNow,
  waitForResults,
} from '../../harness.js';

const h = slackHarnessForFile();

async function search(text: string): Promise<Message> {
  const since = slackNow();
  await h.as(people.alice).command(h.channels.general.id, '/find', text);
  return (await waitForResults(h.fake, h.channels.general.id, since)).results;
}

/** Presses More on `page` as `who` and returns the next page posted next to it. */
async function more(page: Message, who = people.alice): Promise<Message> {
  const since = slackNow();
  const delivery = await h.as(who).click(page, moreActionId);
  expect(delivery.status).toBe(200);
  expect(delivery.ms).toBeLessThan(3000);
  return (await waitForResults(h.fake, page.channel, since)).results;
}

describe('the "More" button', () => {
  it('pages through every result, each page next to the last, until there is no more', async () => {
    const pages = [await search('seaside count:3 all:true')];
    while (moreButton(pages.at(-1)!))
      pages.push(await more(pages.at(-1)!, pages.length % 2 ? people.bob : people.alice));
    expect(pages.map(ranks)).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]);
    expect(pages.every((p) => p.channel === h.channels.general.id && p.thread_ts === undefined)).toBe(true);
    const ids = pages.flatMap((p) => hitSections(p).map((s) => s.accessory!.value));
    expect(new Set(ids).size).toBe(indexedCount);
  });

  it('shows nothing of this workspace to someone from another workspace pressing it in a shared channel', async () => {
    const page = await search('mountains count:2');
    const before = h.fake.botMessages(h.channels.general.id).length;
    await h.as(people.eve).click(page, moreActionId);
    const note = await h.fake.waitForEphemeral(people.eve.id);
    expect(note.text).toMatch(/expired|run the search again/);
    expect(h.fake.botMessages(h.channels.general.id)).toHaveLength(before);
  });

  it('refuses a button value it did not make', async () => {
    const page = await search('boats count:2');
    const forged: Message = {
      ...page,
      blocks: [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'More' },
              action_id: moreActionId,
              value: '<@U0ADMIN> ../../etc',
            },
          ],
        },
      ],
    };
    const before = h.fake.botMessages(h.channels.general.id).length;
    await h.as(people.bob).click(forged, moreActionId);
    const note = await h.fake.waitForEphemeral(people.bob.id);
    expect(note.text).toContain('That button was not made by me');
    expect(h.fake.botMessages(h.channels.general.id)).toHaveLength(before);
  });
});
