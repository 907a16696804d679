import { InputError } from '../util/errors.js';
import type { DocFilter } from '../store/types.js';
import type { QueryFilters } from './query-language.js';
import type { SearchShape } from './service.js';

/** How the names people write in filters become the ids the store holds (each surface knows its own). */
export interface FilterNames {
  /** Source ids (`folder:/srv/photos/holidays`) whose path is, or ends with, the name. */
  sources(name: string): Promise<string[]>;
  /** A channel's id from a mention, name or id (chat platforms), or undefined when there is no such channel. */
  channel(text: string): Promise<string | undefined>;
  /** A person's id from a mention or id, or undefined when it names nobody. */
  author(text: string): Promise<string | undefined>;
}

/**
 * The store filter for a query's filters: every name resolved to ids, each a clear error when it names
 * nothing (a filter never silently widens a search). Channel visibility and tenant scope still apply first:
 * the store ANDs this filter with them.
 */
export async function shapeOf(
  query: { filters: QueryFilters; sort: SearchShape['sort']; all: boolean },
  names: FilterNames,
): Promise<SearchShape> {
  const { filters } = query;
  const filter: DocFilter = {};
  if (filters.sources) {
    const ids = (
      await Promise.all(
        filters.sources.map(async (name) => named(`source:${name}`, await names.sources(name))),
      )
    ).flat();
    filter.source = [...new Set(ids)];
  }
  if (filters.channels) {
    filter.channel_id = await Promise.all(
      filters.channels.map(async (text) =>
        one(`in:${text}`, await names.channel(text).catch(namingPart(`in:${text}`)), 'no such channel here'),
      ),
    );
  }
  if (filters.authors) {
    filter.author_id = await Promise.all(
      filters.authors.map(async (text) =>
        one(`from:${text}`, await names.author(text), 'mention the person (@name) or give their id'),
      ),
    );
  }
  if (filters.types) filter.format = filters.types;
  if (filters.dates) filter.date = filters.dates;
  return { sort: query.sort, all: query.all, ...(Object.keys(filter).length > 0 && { filter }) };
}

/** A platform's refusal of a name (a channel it cannot see) said about the part of the query that named it. */
const namingPart =
  (part: string) =>
  (error: unknown): never => {
    throw error instanceof InputError ? new InputError(part, error.reason) : error;
  };

function named(part: string, ids: string[]): string[] {
  if (ids.length === 0) throw new InputError(part, 'no indexed folder or list has that name');
  return ids;
}

function one(part: string, id: string | undefined, reason: string): string {
  if (id === undefined) throw new InputError(part, reason);
  return id;
}

/** An id inside a Discord or Slack mention (`<#123>`, `<@U123|alice>`), a plain id, or undefined. */
export function mentionedId(text: string): string | undefined {
  const mention = /^<[#@][!&]?([A-Za-z0-9]+)(?:\|[^>]*)?>$/.exec(text);
  if (mention) return mention[1];
  return /^[A-Z0-9]{6,}$/.test(text) || /^\d{15,21}$/.test(text) ? text : undefined;
}
