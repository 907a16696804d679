import { describe, expect, it } from 'vitest';
import { similarActionId } from '../../../../adapters/slack/button-ids.js';
import { hitSections, people, slackHarnessForFile, slackNow, waitForResults } from '../../harness.js';

const h = slackHarnessForFile();

describe('the "Similar to #n" buttons', () => {
  it('finds images like that result, the result itself first, for whoever presses it', async () => {
    let since = slackNow();
    await h.as(people.alice).command(h.channels.general.id, '/find', 'a cat count:4');
    const { results } = await waitForResults(h.fake, h.channels.general.id, since);
    const third = hitSections(results)[2]!.accessory!.value;

    since = slackNow();
    const delivery = await h.as(people.bob).click(results, similarActionId(3));
    expect(delivery.status).toBe(200);
    const like = (await waitForResults(h.fake, h.channels.general.id, since)).results;
    const [first] = hitSections(like);
    expect(first!.accessory!.value).toBe(third);
    expect(first!.text!.text).toMatch(/^\*#1\* {2}`1\.000`/);
    expect(JSON.stringify(like.blocks)).toContain(`asked by <@${people.bob.id}>`);
  });

  it("cannot reach this workspace's images from another workspace", async () => {
    const since = slackNow();
    await h.as(people.alice).command(h.channels.general.id, '/find', 'a dog count:2');
    const { results } = await waitForResults(h.fake, h.channels.general.id, since);
    const before = h.fake.botMessages(h.channels.general.id).length;
    await h.as(people.eve).click(results, similarActionId(1));
    const note = await h.fake.waitForEphemeral(people.eve.id);
    expect(note.text).toMatch(/That image is no longer indexed or not visible here/);
    expect(h.fake.botMessages(h.channels.general.id)).toHaveLength(before);
  });
});
