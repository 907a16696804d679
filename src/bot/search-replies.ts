import { refusal } from '../util/errors.js';
import { renderResults } from '../render/results.js';
import type { SearchPage, SearchShape } from '../search/service.js';
import { encodeCursor, type QuerySession } from '../search/sessions.js';
import type { FindText } from '../search/text-query.js';
import type { RequestContext } from './command.js';
import type { Reply } from './types.js';

/** When the platform does not say: Discord's smallest upload limit. */
export const defaultUploadLimitBytes = 8 * 1024 * 1024;
/** The top images attached one by one besides the contact sheet (a platform gallery shows four well). */
const attachTop = 4;

/** What to do when nothing is indexed: the shell command, and `/index` where this bot offers it. */
export function howToIndex(context: RequestContext): string {
  const text =
    'No images are indexed here yet. Index a folder on the bot machine with `lookalike index <folder>` ' +
    '(or ask an admin), then search again.';
  const offersIndex =
    context.commands.some((c) => c.name === 'index') && context.request.actor.isHostOperator;
  return offersIndex ? `${text}\nOr type /index <folder> here to index one now.` : text;
}

/** Starts a search from a query vector: remembers it for `more` and `#n`, and answers its first page. */
export async function answerQuery(
  context: RequestContext,
  query: { vector: Float32Array; title: string; count: number; text?: FindText; shape?: SearchShape },
): Promise<Reply> {
  const session = await context.sessions.create({
    tenant: context.request.tenant,
    actorId: context.request.actor.id,
    ...query,
  });
  return answerPage(context, session, 0);
}

/** The page of a remembered search starting after `offset` results. */
export async function answerPage(
  context: RequestContext,
  session: QuerySession,
  offset: number,
): Promise<Reply> {
  const { config, request, search, scope } = context;
  // A remembered query vector of the model the index held before a switch would rank the new index at random.
  if (session.createdAt < context.model.swappedAt || session.vector.length !== context.embedder.dims) {
    throw refusal('more', 'The index moved to a new model since that search; run the search again.');
  }
  const page = await search.page(session.vector, scope, offset, session.count, session.text, session.shape);
  if (page.hits.length === 0) {
    if (offset > 0) return { kind: 'text', text: `No more results for ${session.title}.` };
    const indexed = await context.store.count(scope);
    const filtered = session.shape?.filter !== undefined;
    return {
      kind: 'text',
      text:
        indexed === 0
          ? howToIndex(context)
          : filtered
            ? `Nothing here matches those filters for ${session.title}.`
            : `Nothing found for ${session.title}.`,
    };
  }
  await context.sessions.recordShown(
    session,
    offset,
    page.hits.map((hit) => hit.image_id),
  );
  const next = offset + page.hits.length;
  return renderResults({
    title: session.title,
    hits: page.hits,
    firstRank: offset + 1,
    ...(page.hasMore ? { cursor: encodeCursor({ sessionId: session.id, offset: next }) } : {}),
    // Thumbnails are a nicety: a store that cannot serve them costs the pictures, never the answer.
    loadThumbnails: (hits) =>
      context.store
        .getThumbnails(
          hits.map((hit) => hit.image_id),
          scope,
        )
        .catch(() => new Map<string, Buffer>()),
    showDates: session.shape?.sort === 'date',
    notes: answerNotes(page, session, offset),
    uploadLimitBytes: request.uploadLimitBytes ?? defaultUploadLimitBytes,
    maxPixels: config.LOOKALIKE_MAX_IMAGE_PIXELS,
    attachTop,
  });
}

/** What a person should know about the whole answer, said once, on its first page. */
function answerNotes(page: SearchPage, session: QuerySession, offset: number): string[] {
  if (offset > 0) return [];
  return [
    ...(page.lowConfidence
      ? [`Nothing here looks much like ${session.title}: even the best match is weak.`]
      : []),
    ...(session.shape?.sort === 'date'
      ? ['Newest first, by the date each image was taken (else posted, else last changed).']
      : []),
    ...(page.cut > 0
      ? [`${page.cut} weaker match${page.cut === 1 ? '' : 'es'} left out; add all:true to see them.`]
      : []),
  ];
}
