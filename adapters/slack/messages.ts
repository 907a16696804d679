import type { types } from '@slack/bolt';
import type { CommandSpec, Reply } from '../../src/bot/types.js';
import { formatHitLines, formatScore, hitDetails } from '../../src/render/list.js';
import { moreActionId, buttonValue, similarActionId } from './button-ids.js';
import { chatCommandMentions } from '../shared/chat-commands.js';

type ResultsReply = Extract<Reply, { kind: 'results' }>;

export interface SlackMessage {
  /** Plain fallback for notifications and clients without blocks. */
  text: string;
  blocks?: types.KnownBlock[];
}

/** Slack's limits that a results message must respect. */
const maxSectionChars = 3000;
const maxFallbackChars = 3500;
const maxLocationChars = 300;

/** Text for Slack's mrkdwn: `&`, `<` and `>` escaped, so user input can never form a mention or a link. */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A bot text (help, status, errors) as Slack mrkdwn, with command names as Slack users type them. */
export function slackText(text: string, specs: readonly CommandSpec[]): string {
  return escapeMrkdwn(chatCommandMentions(text, specs));
}

/**
 * A results page as Block Kit: the title and who asked, one section per hit (rank, score, name, the words that
 * matched a text query, where to open it, and a "Similar to #n" button carrying the hit's image id), and a "More" button carrying the page cursor.
 */
export function resultsMessage(reply: ResultsReply, askerId: string): SlackMessage {
  const first = reply.hits[0]?.rank ?? 1;
  const heading = `Results ${first}–${first + reply.hits.length - 1} for ${reply.title}`;
  const blocks: types.KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${escapeMrkdwn(heading)}*` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `asked by <@${askerId}>` }] },
  ];
  for (const h of reply.hits) {
    const where = h.location === h.hit.image_name ? '' : `\n${location(h.location)}`;
    const details = hitDetails(h)
      .map((d) => `  _${d}_`)
      .join('');
    // The words read in the image that matched a text query, quoted on their own line.
    const words = h.hit.matched?.length ? `\n“${escapeMrkdwn(h.hit.matched.join(' '))}”` : '';
    const line = `*#${h.rank}*  \`${formatScore(h.score)}\`  *${escapeMrkdwn(h.hit.image_name)}*${details}${words}${where}`;
    const section: types.SectionBlock = {
      type: 'section',
      text: { type: 'mrkdwn', text: line.slice(0, maxSectionChars) },
    };
    const imageId = buttonValue(h.hit.image_id);
    if (imageId) {
      section.accessory = {
        type: 'button',
        text: { type: 'plain_text', text: `Similar to #${h.rank}` },
        action_id: similarActionId(h.rank),
        value: imageId,
      };
    }
    blocks.push(section);
  }
  if (reply.notes.length > 0) {
    blocks.push({
      type: 'context',
      elements: reply.notes.map((note) => ({ type: 'mrkdwn' as const, text: escapeMrkdwn(note) })),
    });
  }
  const cursor = buttonValue(reply.cursor);
  if (cursor) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'More' },
          action_id: moreActionId,
          value: cursor,
        },
      ],
    });
  }
  const text = [`${heading}:`, ...formatHitLines(reply.hits), ...reply.notes]
    .join('\n')
    .slice(0, maxFallbackChars);
  return { text: escapeMrkdwn(text), blocks };
}

/** A link when the location is one (permalink, URL), else the path in code style. */
function location(where: string): string {
  if (/^https?:\/\//i.test(where)) {
    return `<${where.replace(/\|/g, '%7C').replace(/>/g, '%3E')}|open>`;
  }
  const path = where.length > maxLocationChars ? `…${where.slice(-maxLocationChars)}` : where;
  return `\`${escapeMrkdwn(path.replace(/`/g, "'"))}\``;
}
