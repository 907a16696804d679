import { answerQuery } from '../src/bot/answers.js';
import type { Command } from '../src/bot/command.js';
import { clipTextOf, findTextOf } from '../src/search/text-query.js';

export const find: Command = {
  spec: {
    name: 'find',
    description: 'Find images matching a description',
    permission: 'everyone',
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
    const text = String(context.options.text);
    const vector = await context.search.textVector(clipTextOf(text));
    return answerQuery(context, {
      vector,
      title: `“${text}”`,
      count: Number(context.options.count),
      text: findTextOf(text),
    });
  },
};
