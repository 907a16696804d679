import { answerQuery } from '../src/bot/search-replies.js';
import { defineCommand } from '../src/bot/command.js';
import { clipTextOf, findTextOf } from '../src/search/text-query.js';

export const find = defineCommand({
  spec: {
    name: 'find',
    description: 'Find images matching a description',
    permission: 'everyone',
    placement: 'own',
    options: [
      {
        name: 'text',
        description: 'What to look for, e.g. "snowy mountain"',
        type: 'string',
        required: true,
        maxLength: 500,
      },
      { name: 'count', description: 'How many results (1-20)', type: 'integer', min: 1, max: 20, default: 5 },
    ],
  },
  inference: true,
  async run(context) {
    const { text, count } = context.options;
    const vector = await context.search.textVector(clipTextOf(text));
    return answerQuery(context, { vector, title: `“${text}”`, count, text: findTextOf(text) });
  },
});
