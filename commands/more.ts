import { answerPage } from '../src/bot/search-replies.js';
import { defineCommand } from '../src/bot/command.js';
import { decodeCursor } from '../src/search/sessions.js';
import { refusal } from '../src/util/errors.js';

/**
 * The next page of a search. Paging state lives in the bot's short-lived query sessions (see
 * src/search/sessions.ts): a cursor names a session and an offset; without one, your latest search continues.
 */
export const more = defineCommand({
  spec: {
    name: 'more',
    description: 'Show the next results of your last search',
    permission: 'everyone',
    placement: 'grouped',
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
    const expired = refusal('more', 'Those results have expired; run the search again.');
    if (context.options.cursor === undefined) {
      const session = await sessions.latestOf(request.tenant, request.actor.id);
      if (!session) throw refusal('more', 'You have no recent search here to continue; search first.');
      return answerPage(context, session, session.shown.length);
    }
    const cursor = decodeCursor(context.options.cursor);
    if (!cursor) throw refusal('cursor', 'That is not a page of one of my searches; run the search again.');
    const session = await sessions.get(cursor.sessionId, request.tenant);
    if (!session || cursor.offset > session.shown.length) throw expired;
    return answerPage(context, session, cursor.offset);
  },
});
