import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/model/types.js';
import { tempDir } from '../helpers/bot.js';
import type { RestCall } from './fake-discord/index.js';
import { chatInput } from './fake-discord/payloads.js';
import { discordHarnessForFile, interact } from './harness.js';

const ephemeral = Number(MessageFlags.Ephemeral);
const interval = 2000;
/** Edits start `interval` apart in the adapter; their arrival at the fake may vary by request latency. */
const latency = 250;
const images = 40;

/**
 * The tiny model embeds hundreds of images a second; the real one about 40 on two cores. The test slows the real
 * embedder to a chosen pace so a reindex lasts long enough to show progress.
 */
let msPerImage = 0;
const paced = (real: Embedder): Embedder => ({
  modelId: real.modelId,
  dims: real.dims,
  prepareImage: (input) => real.prepareImage(input),
  embedPrepared: async (prepared) => {
    await sleep(msPerImage * prepared.length);
    return real.embedPrepared(prepared);
  },
  embedImages: (inputs) => real.embedImages(inputs),
  embedTexts: (texts) => real.embedTexts(texts),
  close: () => real.close(),
});

const contentOf = (c: RestCall) => (c.body as { content?: string } | undefined)?.content ?? '';
const isReport = (c: RestCall) => c.status === 200 && /^Indexed /.test(contentOf(c));
const gaps = (calls: RestCall[]) => calls.slice(1).map((c, i) => c.at - calls[i]!.at);

/** Swatches of distinct colours, `images` of them. */
async function swatches() {
  const folder = await tempDir('lookalike-reindex-');
  for (let i = 0; i < images; i++) {
    const background = { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 };
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background } })
      .png()
      .toBuffer();
    await writeFile(path.join(folder.dir, `swatch-${i}.png`), png);
  }
  return folder;
}

const h = discordHarnessForFile({ bot: { embedder: paced }, folder: swatches, indexed: images });

describe('Discord adapter: /reindex', () => {
  it('is refused at once and privately for members without Manage Server or the admin role', async () => {
    const x = await interact(h.fake, chatInput(h.alice, 'reindex'));
    // Nothing public first: no deferred "thinking…" placeholder for a refusal decided without work.
    expect(x.callback.body).toMatchObject({
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { content: 'Only admins may use /reindex.', flags: ephemeral },
    });
    expect(x.calls).toHaveLength(1);
  });

  it('shows an admin’s job as a status message edited at most every 2 s, ending with the report', async () => {
    msPerImage = 55; // about 2.2 s of embedding
    const x = await interact(h.fake, chatInput(h.moderator, 'reindex', { full: true }));
    const report = await h.fake.waitForCall((c) => c.path.includes(x.token) && isReport(c), 30_000);
    const edits = h.fake.callsFor(x.token).filter((c) => c.method === 'PATCH');
    expect(edits.at(-1)).toBe(report);
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...gaps(edits))).toBeGreaterThanOrEqual(interval - latency);
    expect(contentOf(edits[0]!)).toMatch(/^Started a full rebuild of .* \(job \w+\)\./);
    expect(edits.slice(0, -1).some((e) => /indexing \d+\/40/.test(contentOf(e)))).toBe(true);
    expect(contentOf(report)).toContain(`${images} `);
    // Named by the folder's last part, as everywhere in chat: never its path on the bot machine.
    expect(contentOf(report)).toMatch(/^Indexed lookalike-reindex-\w+ \(full rebuild\): /);
    expect(h.fake.original(x.token)?.content).toBe(contentOf(report));
  });

  it('carries on in a channel message of its own when the job outlives the interaction token', async () => {
    msPerImage = 55; // about 2.2 s, while the token is made to expire after 1.5 s
    h.fake.interactionTokenLifetimeMs = 1500;
    try {
      const x = await interact(h.fake, chatInput(h.owner, 'reindex', { full: true }));
      const report = await h.fake.waitForCall(
        (c) => c.path.startsWith(`/channels/${h.channelId}/messages`) && isReport(c),
        30_000,
      );
      const expired = h.fake.callsFor(x.token).filter((c) => c.status === 401);
      expect(expired.length).toBeGreaterThan(0);
      const own = h.fake.calls.filter((c) => c.path.startsWith(`/channels/${h.channelId}/messages`));
      expect(own[0]).toMatchObject({ method: 'POST', status: 200 });
      expect(own.every((c) => c.headers.authorization === `Bot ${h.config.DISCORD_TOKEN}`)).toBe(true);
      expect(own.at(-1)).toBe(report);
      // One status, edited at the same bounded pace whichever way it is reached.
      const attempts = [...h.fake.callsFor(x.token).filter((c) => c.method === 'PATCH'), ...own.slice(1)];
      expect(Math.min(...gaps(attempts))).toBeGreaterThanOrEqual(interval - latency);
    } finally {
      h.fake.interactionTokenLifetimeMs = 15 * 60_000;
    }
  });
});
