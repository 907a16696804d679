import { describe, expect, it } from 'vitest';
import type { Message } from '../../fake-slack/index.js';
import { adminGroup, people, slackHarnessForFile, slackNow } from '../../harness.js';

const progressIntervalMs = 300;

const h = slackHarnessForFile({ bot: { copies: 6 }, adapter: { progressIntervalMs } });

const general = () => h.channels.general.id;
const isReport = (text: string | undefined) => /Indexed .*new, .*updated, .*unchanged/.test(text ?? '');

/** The status message a /reindex posted after `since`, once its final report is shown. */
async function finishedStatus(since: number): Promise<Message> {
  // Every state of the message starts with the job's heading.
  const status = await h.fake.waitForMessage(
    (m) => m.channel === general() && Number(m.ts) > since && m.text.startsWith('Started '),
  );
  await expect.poll(() => isReport(status.text), { timeout: 20_000 }).toBe(true);
  return status;
}

describe('/reindex', () => {
  it('is refused to someone who is not an admin, and nothing starts', async () => {
    const since = slackNow();
    const delivery = await h.as(people.alice).command(general(), '/reindex', 'full');
    expect(delivery.status).toBe(200);
    const note = await h.fake.waitForEphemeral(people.alice.id);
    expect(note.text).toBe(':warning: Only admins may use /reindex.');
    expect(h.fake.botMessages(general()).filter((m) => Number(m.ts) > since)).toEqual([]);
  });

  it("shows an admin's job as a status message edited at a bounded rate, ending with the report", async () => {
    const since = slackNow();
    const delivery = await h.as(people.admin).command(general(), '/reindex', 'full');
    expect(delivery.ms).toBeLessThan(3000);
    const status = await finishedStatus(since);
    expect(status.via).toBe('chat.postMessage');

    const edits = status.edits;
    expect(edits.length).toBeGreaterThanOrEqual(2);
    const gaps = edits.slice(1).map((e, i) => e.at - edits[i]!.at);
    // Edits start at least the interval apart; they arrive here with the event loop's jitter (inference runs).
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(progressIntervalMs - 100);
    const span = edits.at(-1)!.at - Number(status.ts) * 1000;
    expect(edits.length).toBeLessThanOrEqual(Math.ceil(span / progressIntervalMs) + 2);
    // Progress first, each edit under the job's heading, the report last and only there.
    for (const edit of edits.slice(0, -1)) {
      expect(edit.text).toMatch(/^Started a full rebuild of .*\n(scanning|indexing|committing|done) \d+/);
    }
    expect(edits.at(-1)!.text).toMatch(
      /^Started a full rebuild of [^/\s]+ \(job \w+\)\.\nIndexed [^/\s]+ \(full rebuild\): .* 0 failed/,
    );
    // 60 images report progress one by one; the message shows a few of those states, not all.
    expect(edits.length).toBeLessThan(60);
    expect(edits.filter((e) => isReport(e.text))).toHaveLength(1);
  });

  it('lets members of the admin user group run it, asking Slack for the group at most once a minute', async () => {
    const since = slackNow();
    const groupCalls = () =>
      h.fake.callsOf('usergroups.users.list').filter((c) => c.args.usergroup === adminGroup);
    const before = groupCalls().length;
    await h.as(people.curator).command(general(), '/reindex');
    await finishedStatus(since);
    await h.as(people.bob).command(general(), '/reindex');
    expect((await h.fake.waitForEphemeral(people.bob.id)).text).toContain('Only admins');
    expect(groupCalls().length - before).toBeLessThanOrEqual(1);
  });

  it('where the bot is not a member, says it started there and sends the report to the admin', async () => {
    await h.as(people.admin).command(h.channels.random.id, '/reindex');
    const started = await h.fake.waitForMessage((m) => m.channel === h.channels.random.id);
    expect(started).toMatchObject({
      via: 'response_url',
      text: expect.stringMatching(/^Started indexing of /),
    });
    await expect
      .poll(() => h.fake.ephemeralsFor(people.admin.id).find((e) => isReport(e.text))?.channel, {
        timeout: 20_000,
      })
      .toBe(h.channels.random.id);
  });

  it('refuses a second job while one runs', async () => {
    const since = slackNow();
    await h.as(people.admin).command(general(), '/reindex', 'full');
    await h.as(people.curator).command(general(), '/reindex');
    const note = await h.fake.waitForEphemeral(people.curator.id);
    expect(note.text).toMatch(/A job is already running here/);
    await finishedStatus(since);
  });
});
