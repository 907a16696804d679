import { mentionedId, shapeOf, type FilterNames } from '../search/query-shape.js';
import { combineVectors } from '../search/combine.js';
import { parseQuery, type ParsedQuery } from '../search/query-language.js';
import type { SearchShape } from '../search/service.js';
import type { FindText } from '../search/text-query.js';
import { refusal } from '../util/errors.js';
import type { RequestContext } from './command.js';

/** A parsed query made ready to search: its direction, its shape, and the words to find in images. */
export interface PreparedQuery {
  parsed: ParsedQuery;
  /** Undefined when the query has no terms (only words to read, or an image brings the direction). */
  vector?: Float32Array;
  shape: SearchShape;
  text?: FindText;
}

/**
 * Turns the query language into a search: each term's vector (words through the model, `#n` through the
 * asker's last search), their weighted sum, the filters resolved to ids, and what to match in the text read
 * from images. A query of one plain phrase searches exactly as before the language existed. `base`: an
 * image's vector that the words adjust (`/similar` with "at night" or "-people"), counted once.
 */
export async function prepareQuery(
  context: RequestContext,
  query: string,
  base?: Float32Array,
): Promise<PreparedQuery> {
  const parsed = parseQuery(query, base !== undefined);
  const termVectors = await Promise.all(
    parsed.terms.map(async ({ target, weight }) => ({
      weight,
      vector:
        'text' in target
          ? await context.search.textVector(target.text)
          : await context.search.storedVector(await resultId(context, target.rank), context.scope),
    })),
  );
  const vectors = base ? [{ weight: 1, vector: base }, ...termVectors] : termVectors;
  const shape = await shapeOf(parsed, chatNames(context));
  const phrases = parsed.terms.flatMap((t) => ('text' in t.target && t.weight > 0 ? [t.target.text] : []));
  const text: FindText | undefined =
    parsed.words !== undefined
      ? { words: parsed.words, phrase: true, only: true }
      : phrases.length > 0
        ? { words: phrases.join(' '), phrase: false, only: false }
        : undefined;
  return {
    parsed,
    ...(vectors.length > 0 && { vector: combineVectors(vectors, 'query') }),
    shape,
    ...(text && { text }),
  };
}

async function resultId(context: RequestContext, rank: number): Promise<string> {
  const session = await context.sessions.latestOf(context.request.tenant, context.request.actor.id);
  const id = session?.shown[rank - 1];
  if (!id) throw refusal(`#${rank}`, `There is no result #${rank} in your latest search here; search first.`);
  return id;
}

/** Channel names through the platform's history provider (mentions and ids as they are); authors by mention or id. */
function chatNames(context: RequestContext): FilterNames {
  const { tenant } = context.request;
  return {
    sources: async (name) =>
      (await context.registry.list())
        .filter(
          (e) =>
            (e.tenant === tenant || context.scope.includeShared) &&
            (e.path === name || e.path.endsWith(`/${name}`)),
        )
        .map((e) => e.id),
    channel: async (text) => {
      const id = mentionedId(text);
      if (id) return id;
      const provider = context.chatHistory.for(tenant);
      return provider ? (await provider.resolveChannel(tenant, text.replace(/^#/, ''))).id : undefined;
    },
    author: async (text) => mentionedId(text),
  };
}
