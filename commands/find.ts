import { prepareQuery } from '../src/bot/query.js';
import { answerQuery } from '../src/bot/search-replies.js';
import { defineCommand } from '../src/bot/command.js';
import { refusal } from '../src/util/errors.js';

export const find = defineCommand({
  spec: {
    name: 'find',
    description: 'Find images matching a description',
    permission: 'everyone',
    placement: 'own',
    options: [
      {
        name: 'text',
        description: 'What to look for: "snowy mountain -people", 2:beach + sunset, in:#trips after:2024-06',
        type: 'string',
        required: true,
        maxLength: 500,
      },
      { name: 'count', description: 'How many results (1-20)', type: 'integer', min: 1, max: 20, default: 5 },
      { name: 'in', description: 'Only images posted in this channel', type: 'channel' },
      { name: 'from', description: 'Only images this person posted', type: 'user' },
      {
        name: 'after',
        description: 'Dated after this day, month or year (2024-06-01, 2024-07, 2024)',
        type: 'string',
        maxLength: 10,
      },
      { name: 'before', description: 'Dated before this day, month or year', type: 'string', maxLength: 10 },
      { name: 'during', description: 'Dated within this day, month or year', type: 'string', maxLength: 10 },
      {
        name: 'type',
        description: 'Only this image format: jpeg, png, gif, webp, ...',
        type: 'string',
        maxLength: 10,
      },
      {
        name: 'source',
        description: 'Only this indexed folder, by the end of its path',
        type: 'string',
        maxLength: 200,
      },
      {
        name: 'sort',
        description: 'relevance (default) or date: newest first among the relevant hits',
        type: 'string',
        maxLength: 9,
      },
      {
        name: 'all',
        description: 'Show every hit: no relevance cut, no folding of near-copies',
        type: 'boolean',
      },
    ],
  },
  inference: true,
  async run(context) {
    const { text, count, ...filters } = context.options;
    const query = await prepareQuery(context, `${text} ${optionText(filters)}`);
    if (!query.vector && !query.text) throw refusal('text', 'Say what to look for, e.g. “snowy mountain”.');
    return answerQuery(context, {
      vector: query.vector ?? (await context.search.textVector(query.text!.words)),
      title: `“${text}”`,
      count: query.parsed.count ?? count,
      shape: query.shape,
      ...(query.text && { text: query.text }),
    });
  },
});

/** Options given as platform pickers (Discord) in the query language's words, so one grammar checks them. */
export function optionText(options: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(options)
    .filter(([, value]) => value !== undefined && value !== false)
    .map(([key, value]) => {
      const word = String(value === true ? 'true' : value);
      return `${key}:${/\s/.test(word) ? `"${word}"` : word}`;
    })
    .join(' ');
}
