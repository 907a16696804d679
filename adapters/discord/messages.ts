import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  escapeMarkdown,
  inlineCode,
  type InteractionEditReplyOptions,
} from 'discord.js';
import type { CommandSpec, FileAttachment, Reply, ReplyHit } from '../../src/bot/types.js';
import { formatScore, hitDetails } from '../../src/render/list.js';
import { chatCommandMentions } from '../shared/chat-commands.js';
import { encodeButton } from './button-ids.js';

/** How Discord shows each kind of reply. */

export type ResultsReply = Extract<Reply, { kind: 'results' }>;

/** Total bytes of files in one reply unless the adapter is told otherwise (Discord's historic 8 MiB limit). */
export const defaultUploadBudgetBytes = 8 * 1024 * 1024;

const maxFiles = 10;
const maxSimilarButtons = 10;
const buttonsPerRow = 5;
const limits = { content: 2000, title: 256, description: 4096 };

/** The list (embed), the contact sheet inside it, the top images that fit the budget, and the buttons. */
export function resultsMessage(
  reply: ResultsReply,
  ownerId: string,
  budgetBytes: number,
): InteractionEditReplyOptions {
  const files = filesWithin(reply, budgetBytes);
  const sheetShown = reply.contactSheet !== undefined && files[0] === reply.contactSheet;
  const first = reply.hits[0]?.rank ?? 1;
  const last = reply.hits.at(-1)?.rank ?? first;
  const embed = new EmbedBuilder()
    .setTitle(clip(reply.title, limits.title))
    .setDescription(clipLines([...reply.hits.map(hitLine), ...notesOf(reply)], limits.description))
    .setFooter({ text: `Results ${first}–${last}${reply.cursor ? ' · press More for the next page' : ''}` });
  if (sheetShown) embed.setImage(`attachment://${reply.contactSheet!.name}`);
  return {
    content: '',
    embeds: [embed],
    files: uniqueNames(files).map((f) => new AttachmentBuilder(f.bytes, { name: f.name })),
    components: buttonRows(reply, ownerId),
  };
}

/** A text as Discord shows it, with commands named as they are typed here (`/lookalike status`). */
export function textMessage(text: string, specs: readonly CommandSpec[]): { content: string } {
  return { content: clip(chatCommandMentions(text, specs), limits.content) };
}

/** The contact sheet first, then the top images in rank order, as long as the total stays within the budget. */
export function filesWithin(reply: ResultsReply, budgetBytes: number): FileAttachment[] {
  const chosen: FileAttachment[] = [];
  let used = 0;
  for (const file of [reply.contactSheet, ...reply.images]) {
    if (!file || chosen.length === maxFiles || used + file.bytes.length > budgetBytes) continue;
    chosen.push(file);
    used += file.bytes.length;
  }
  return chosen;
}

/**
 * `**#1** · 0.873 · [beach.jpg](https://…)` or `**#1** · 0.873 · beach.jpg · `holidays/beach.jpg``, then the
 * words read in the image that matched a text query: `· “bad gateway”`.
 */
function hitLine(h: ReplyHit): string {
  const name = escapeMarkdown(h.hit.image_name);
  const head = `**#${h.rank}** · ${formatScore(h.score)} · `;
  const words = h.hit.matched?.length ? [`“${escapeMarkdown(h.hit.matched.join(' '))}”`] : [];
  const details = [...hitDetails(h), ...words].map((d) => ` · ${d}`).join('');
  if (/^https?:\/\//.test(h.location))
    return `${head}[${name.replace(/[[\]]/g, '')}](${h.location})${details}`;
  const path = h.location === h.hit.image_name ? '' : ` · ${inlineCode(h.location.replaceAll('`', "'"))}`;
  return `${head}${name}${path}${details}`;
}

function buttonRows(reply: ResultsReply, ownerId: string): ActionRowBuilder<ButtonBuilder>[] {
  const similar = reply.hits.slice(0, maxSimilarButtons).flatMap((h) => {
    const id = encodeButton({ kind: 'similar', ownerId, imageId: h.hit.image_id });
    return id
      ? [
          new ButtonBuilder()
            .setCustomId(id)
            .setLabel(`Similar to #${h.rank}`)
            .setStyle(ButtonStyle.Secondary),
        ]
      : [];
  });
  const rows: ActionRowBuilder<ButtonBuilder>[] = [];
  for (let i = 0; i < similar.length; i += buttonsPerRow) {
    rows.push(new ActionRowBuilder<ButtonBuilder>().addComponents(similar.slice(i, i + buttonsPerRow)));
  }
  const moreId = reply.cursor ? encodeButton({ kind: 'more', ownerId, cursor: reply.cursor }) : undefined;
  if (moreId) {
    const more = new ButtonBuilder().setCustomId(moreId).setLabel('More').setStyle(ButtonStyle.Primary);
    rows.push(new ActionRowBuilder<ButtonBuilder>().addComponents(more));
  }
  return rows;
}

/** Two results may share a file name; Discord needs them apart (`attachment://` refers to a name). */
function uniqueNames(files: FileAttachment[]): FileAttachment[] {
  const seen = new Set<string>();
  return files.map((f) => {
    let name = f.name;
    for (let n = 2; seen.has(name); n++) name = f.name.replace(/(\.[^.]*)?$/, `-${n}$1`);
    seen.add(name);
    return name === f.name ? f : { ...f, name };
  });
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Whole lines only, with a count of what did not fit. */
function clipLines(lines: string[], max: number): string {
  const kept: string[] = [];
  let length = 0;
  for (const [i, line] of lines.entries()) {
    const tail = `\n… and ${lines.length - i} more`;
    if (length + line.length + 1 + (i < lines.length - 1 ? tail.length : 0) > max) {
      kept.push(tail.trim());
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}

/** The answer's notes, set apart under the list. */
const notesOf = (reply: ResultsReply): string[] =>
  reply.notes.length > 0 ? ['', ...reply.notes.map((n) => `*${n}*`)] : [];
