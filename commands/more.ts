import { answerPage } from '../src/bot/answers.js';
import type { Command } from '../src/bot/command.js';
import { decodeCursor } from '../src/search/sessions.js';
import { InputError } from '../src/util/errors.js';

/**
 * The next page of a search. Paging state lives in the bot's short-lived query sessions (see
 * src/search/sessions.ts): a cursor names a session and an offset; without one, your latest search continues.
 */
export const more: Command = {
  spec: {
    name: 'more',
    description: 'Show the next results of your last search',
    permission: 'everyone',
    options: [
      {
        name: 'cursor',
        description: 'The page to show (set by the More button)',
        type: 'string',
        maxLength: 64,
      },
    ],
  },
  inference: true,
  async run(context) {
    const { request, sessions } = context;
    const expired = new InputError('more', 'those results have expired; run the search again');
    if (context.options.cursor === undefined) {
      const session = await sessions.latestOf(request.tenant, request.actor.id);
      if (!session) throw new InputError('more', 'there is no recent search of yours here; search first');
      return answerPage(context, session, session.shown.length);
    }
    const cursor = decodeCursor(String(context.options.cursor));
    if (!cursor) throw new InputError('cursor', 'not a page cursor from this bot');
    const session = await sessions.get(cursor.sessionId, request.tenant);
    if (!session || cursor.offset > session.shown.length) throw expired;
    return answerPage(context, session, cursor.offset);
  },
};
