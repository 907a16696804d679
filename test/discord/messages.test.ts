import type { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, EmbedBuilder } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { decodeButton, encodeButton } from '../../adapters/discord/button-ids.js';
import { filesWithin, resultsMessage, type ResultsReply } from '../../adapters/discord/messages.js';
import type { FileAttachment, ReplyHit } from '../../src/bot/types.js';

const file = (name: string, size: number): FileAttachment => ({
  name,
  contentType: 'image/jpeg',
  bytes: Buffer.alloc(size),
});

function reply(count: number, fields: Partial<ResultsReply> = {}): ResultsReply {
  const hits: ReplyHit[] = Array.from({ length: count }, (_, i) => ({
    rank: i + 1,
    score: 0.9 - i / 100,
    location: i % 2 ? `https://cdn.discordapp.com/attachments/1/2/p${i}.jpg` : `holiday/p${i}.jpg`,
    nearCopies: 0,
    hit: {
      image_id: `${i}`.padStart(32, 'a'),
      image_name: `p_${i}*.jpg`,
      source: 'folder:/x',
      tenant: 'g',
      sha256: '',
      width: 1,
      height: 1,
      bytes: 1,
      indexed_at: '',
      model_id: 'm',
      score: 0.9,
    },
  }));
  return {
    kind: 'results',
    title: 'cats',
    hits,
    contactSheet: file('sheet.jpg', 3000),
    images: [],
    notes: [],
    ...fields,
  };
}

describe('Discord result messages', () => {
  it('keeps the contact sheet, then the top images in rank order, within the total budget', () => {
    const r = reply(4, { images: [file('a.jpg', 4000), file('b.jpg', 2000), file('c.jpg', 1000)] });
    expect(filesWithin(r, 10_000).map((f) => f.name)).toEqual(['sheet.jpg', 'a.jpg', 'b.jpg', 'c.jpg']);
    expect(filesWithin(r, 6_500).map((f) => f.name)).toEqual(['sheet.jpg', 'b.jpg', 'c.jpg']);
    expect(filesWithin(r, 2_500).map((f) => f.name)).toEqual(['b.jpg']);
  });

  it('lists every hit with its score and where to find it, escaping markdown, with buttons owned by the asker', () => {
    const r = reply(12, { cursor: 'abcdefghijkl.12', images: [file('a.jpg', 10), file('a.jpg', 10)] });
    const message = resultsMessage(r, '123456789012345678', 8 * 1024 * 1024);
    const embed = (message.embeds![0] as EmbedBuilder).toJSON();
    const lines = embed.description!.split('\n');
    expect(lines[0]).toBe('**#1** · 0.900 · p\\_0\\*.jpg · `holiday/p0.jpg`');
    expect(lines[1]).toBe(
      '**#2** · 0.890 · [p\\_1\\*.jpg](https://cdn.discordapp.com/attachments/1/2/p1.jpg)',
    );
    expect(embed.image?.url).toBe('attachment://sheet.jpg');
    const names = (message.files as AttachmentBuilder[]).map((f) => f.name);
    expect(names).toEqual(['sheet.jpg', 'a.jpg', 'a-2.jpg']);
    const rows = (message.components as ActionRowBuilder<ButtonBuilder>[]).map((row) =>
      row.components.map((b) => (b.toJSON() as { label: string }).label),
    );
    expect(rows).toEqual([
      ['Similar to #1', 'Similar to #2', 'Similar to #3', 'Similar to #4', 'Similar to #5'],
      ['Similar to #6', 'Similar to #7', 'Similar to #8', 'Similar to #9', 'Similar to #10'],
      ['More'],
    ]);
  });

  it('round-trips button ids and rejects anything else', () => {
    const more = encodeButton({ kind: 'more', ownerId: '42', cursor: 'abcdefghijkl.3' })!;
    expect(decodeButton(more)).toEqual({ kind: 'more', ownerId: '42', cursor: 'abcdefghijkl.3' });
    expect(encodeButton({ kind: 'similar', ownerId: '42', imageId: 'x'.repeat(90) })).toBeUndefined();
    for (const id of [
      'lookalike:more:42:',
      'lookalike:delete:42:abc',
      'lookalike:more:abc:x',
      `${more}:extra`,
    ]) {
      expect(decodeButton(id)).toBeUndefined();
    }
  });
});
