import { InputError } from '../util/errors.js';

/**
 * The one query grammar every surface shares (Discord, Slack, the console, the CLI):
 *
 *   snowy mountain -people            words make one phrase; `-` subtracts the next word or "phrase"
 *   2:beach + sunset                  `+` starts another phrase; `N:` weights the next one (0.1 to 10)
 *   "red car" -truck                  quotes keep a phrase together
 *   #2 -#3 at night                   results of your last search, added or subtracted like words
 *   in:#trips from:@alice             filters (see `filterKeys`); values may be "quoted"
 *   after:2024-06-01 before:2024-09-01 during:2024-07 type:gif source:holidays sort:date count:10 all:true
 *   text:"502 bad gateway"            the words themselves, as read in the images (OCR)
 *
 * The terms are summed as vectors (weights signed) and the sum renormalised. Filters narrow the search
 * inside the store; they never widen what the asker may see.
 */
export interface QueryTerm {
  /** Words to embed, or a result of the asker's latest search (`#2`). */
  target: { text: string } | { rank: number };
  /** Signed: negative terms pull away from what they describe. */
  weight: number;
}

export interface DateRange {
  /** Inclusive start (ms since the epoch). */
  from?: number;
  /** Exclusive end. */
  until?: number;
}

export interface QueryFilters {
  /** Channel mentions or names as typed (`#trips`, `<#123>`, `123`): the adapter resolves them to ids. */
  channels?: string[];
  /** Author mentions or names as typed (`@alice`, `<@U123>`). */
  authors?: string[];
  dates?: DateRange;
  /** Image formats: jpeg, png, gif, webp, ... */
  types?: string[];
  /** Source folders or lists, by the last part of their path (or more of it). */
  sources?: string[];
}

export interface ParsedQuery {
  terms: QueryTerm[];
  filters: QueryFilters;
  sort: 'relevance' | 'date';
  count?: number;
  /** Show what the relevance cut and near-copy folding would hide. */
  all: boolean;
  /** Words to find as written in the images (`text:"..."`), not as a description. */
  words?: string;
}

export const filterKeys = [
  'in',
  'from',
  'after',
  'before',
  'during',
  'type',
  'source',
  'sort',
  'count',
  'all',
  'text',
];
const maxTerms = 12;
const minWeight = 0.1;
const maxWeight = 10;
export const imageTypes = ['jpeg', 'png', 'gif', 'webp', 'tiff', 'avif', 'heif', 'bmp'];

type Token =
  | { kind: 'op'; sign: 1 | -1; raw: string }
  | { kind: 'word'; text: string; weight?: number; quoted: boolean; raw: string }
  | { kind: 'result'; rank: number; weight?: number; raw: string }
  | { kind: 'filter'; key: string; value: string; raw: string };

/**
 * Parses a query; every problem is an InputError naming the part of the query that is wrong. `withBase`: an
 * image already gives the direction (`/similar` with words), so the words may all pull away from something.
 */
export function parseQuery(text: string, withBase = false): ParsedQuery {
  const tokens = tokenize(text);
  const query: ParsedQuery = { terms: [], filters: {}, sort: 'relevance', all: false };
  let sign: 1 | -1 = 1;
  /** An operator still waiting for its word. */
  let pending: string | undefined;
  /** The phrase being collected from bare words, open until an operator or a signed/weighted token. */
  let open: { words: string[]; weight: number } | undefined;
  const close = () => {
    if (open && open.words.length > 0)
      query.terms.push({ target: { text: open.words.join(' ') }, weight: open.weight });
    open = undefined;
  };
  for (const token of tokens) {
    switch (token.kind) {
      case 'filter':
        applyFilter(query, token);
        continue;
      case 'op':
        if (pending !== undefined)
          throw new InputError(`${pending} ${token.raw}`, 'a + or - needs a word after it');
        close();
        sign = token.sign;
        pending = token.raw;
        continue;
      case 'result':
        pending = undefined;
        close();
        query.terms.push({ target: { rank: token.rank }, weight: sign * (token.weight ?? 1) });
        sign = 1;
        continue;
      case 'word': {
        pending = undefined;
        const weighted = token.weight !== undefined;
        if (sign === -1 || weighted || token.quoted) {
          // A signed, weighted or quoted token is a phrase of its own; bare words after it start another.
          close();
          query.terms.push({ target: { text: token.text }, weight: sign * (token.weight ?? 1) });
          sign = 1;
          continue;
        }
        open ??= { words: [], weight: 1 };
        open.words.push(token.text);
      }
    }
  }
  if (pending !== undefined) throw new InputError(pending, 'a + or - needs a word after it');
  close();
  if (query.terms.length > maxTerms) {
    throw new InputError(
      text.slice(0, 60),
      `a query combines at most ${maxTerms} phrases; this one has ${query.terms.length}`,
    );
  }
  const onlyAway = query.terms.length > 0 && query.terms.every((t) => t.weight < 0);
  if (onlyAway && !withBase && query.words === undefined) {
    throw new InputError(
      text.slice(0, 60),
      'say what to look for, not only what to leave out (e.g. "mountain -people" rather than "-people")',
    );
  }
  return query;
}

/** Words, "quoted phrases", `N:` weights, `+`/`-`, `#n` results and `key:value` filters. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  // An optional sign, an optional weight (only before a word, a "phrase" or a #result: 10:30 stays a word),
  // then a quoted phrase or a run of non-spaces.
  const pattern = /([+-])?(?:(\d+(?:\.\d+)?):(?=["#\p{L}]))?(?:"([^"]*)"|(\S+))/uy;
  let at = 0;
  while (at < text.length) {
    if (/\s/.test(text[at]!)) {
      at++;
      continue;
    }
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) throw new InputError(text.slice(at, at + 30), 'I cannot read this part of the query');
    at = pattern.lastIndex;
    const [raw, signText, weightText, quoted, bare] = match;
    if (signText) tokens.push({ kind: 'op', sign: signText === '-' ? -1 : 1, raw: signText });
    const weight = weightText === undefined ? undefined : checkedWeight(raw, Number(weightText));
    if (quoted !== undefined) {
      if (quoted.trim() === '') throw new InputError(raw, 'an empty phrase');
      tokens.push({
        kind: 'word',
        text: quoted.trim(),
        quoted: true,
        raw,
        ...(weight !== undefined && { weight }),
      });
      continue;
    }
    const word = bare!;
    if (word === '+' || word === '-') {
      tokens.push({ kind: 'op', sign: word === '-' ? -1 : 1, raw: word });
      continue;
    }
    const result = /^#(\d{1,3})$/.exec(word);
    if (result) {
      tokens.push({ kind: 'result', rank: Number(result[1]), raw, ...(weight !== undefined && { weight }) });
      continue;
    }
    const filter = /^([a-z]+):(.*)$/i.exec(word);
    if (filter && weight === undefined && !signText && filterKeys.includes(filter[1]!.toLowerCase())) {
      const value = filterValue(text, filter[2]!, at);
      at = value.next;
      tokens.push({ kind: 'filter', key: filter[1]!.toLowerCase(), value: value.text, raw });
      continue;
    }
    if (word.includes('"')) throw new InputError(word, 'a quote is not closed');
    tokens.push({ kind: 'word', text: word, quoted: false, raw, ...(weight !== undefined && { weight }) });
  }
  return tokens;
}

/** A filter's value; `source:"summer 2024"` continues past the space up to the closing quote. */
function filterValue(text: string, start: string, at: number): { text: string; next: number } {
  if (!start.startsWith('"')) return { text: start, next: at };
  if (start.length > 1 && start.endsWith('"')) return { text: start.slice(1, -1), next: at };
  const close = text.indexOf('"', at);
  if (close < 0) throw new InputError(start, 'a quote is not closed');
  return { text: `${start.slice(1)}${text.slice(at, close)}`, next: close + 1 };
}

function checkedWeight(raw: string, weight: number): number {
  if (!(weight >= minWeight && weight <= maxWeight)) {
    throw new InputError(raw, `weights go from ${minWeight} to ${maxWeight}`);
  }
  return weight;
}

function applyFilter(query: ParsedQuery, token: Extract<Token, { kind: 'filter' }>): void {
  const { key, value, raw } = token;
  if (value === '') throw new InputError(raw, `${key}: needs a value`);
  const add = (list: string[] | undefined, item: string) => [...(list ?? []), item];
  switch (key) {
    case 'in':
      query.filters.channels = add(query.filters.channels, value);
      return;
    case 'from':
      query.filters.authors = add(query.filters.authors, value);
      return;
    case 'type': {
      const type = normaliseType(value);
      if (!type) throw new InputError(raw, `the image types are ${imageTypes.join(', ')}`);
      query.filters.types = add(query.filters.types, type);
      return;
    }
    case 'source':
      query.filters.sources = add(query.filters.sources, value);
      return;
    case 'sort':
      if (value !== 'relevance' && value !== 'date')
        throw new InputError(raw, 'sort by relevance or by date');
      query.sort = value;
      return;
    case 'count': {
      if (!/^\d{1,3}$/.test(value)) throw new InputError(raw, 'a count is a whole number');
      query.count = Number(value);
      return;
    }
    case 'text':
      query.words = query.words === undefined ? value : `${query.words} ${value}`;
      return;
    case 'all':
      if (!['true', 'false', 'yes', 'no'].includes(value)) throw new InputError(raw, 'all:true or all:false');
      query.all = value === 'true' || value === 'yes';
      return;
    default:
      query.filters.dates = narrowDates(query.filters.dates, key, value, raw);
  }
}

export function normaliseType(value: string): string | undefined {
  const type = value.toLowerCase().replace(/^\./, '');
  const known = type === 'jpg' ? 'jpeg' : type === 'tif' ? 'tiff' : type;
  return imageTypes.includes(known) ? known : undefined;
}

/** `after:`, `before:` and `during:` narrow one range (all must hold). */
function narrowDates(range: DateRange | undefined, key: string, value: string, raw: string): DateRange {
  const span = dateSpan(value, raw);
  const next = { ...range };
  if (key === 'after') next.from = Math.max(next.from ?? -Infinity, span.until);
  else if (key === 'before') next.until = Math.min(next.until ?? Infinity, span.from);
  else {
    next.from = Math.max(next.from ?? -Infinity, span.from);
    next.until = Math.min(next.until ?? Infinity, span.until);
  }
  if (next.from !== undefined && next.until !== undefined && next.from >= next.until) {
    throw new InputError(raw, 'no date is in all of these ranges at once');
  }
  return next;
}

/** A day (2024-06-01), a month (2024-07) or a year (2024), as [from, until) in UTC. */
export function dateSpan(value: string, raw = value): { from: number; until: number } {
  const parts = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  const invalid = () =>
    new InputError(raw, 'is not a date: write a day (2024-06-01), a month (2024-07) or a year (2024)');
  if (!parts) throw invalid();
  const [, y, m, d] = parts;
  const year = Number(y);
  const month = m === undefined ? 0 : Number(m) - 1;
  const day = d === undefined ? 1 : Number(d);
  const from = Date.UTC(year, month, day);
  const check = new Date(from);
  if (month > 11 || check.getUTCMonth() !== month || check.getUTCDate() !== day) throw invalid();
  const until =
    d !== undefined
      ? Date.UTC(year, month, day + 1)
      : m !== undefined
        ? Date.UTC(year, month + 1, 1)
        : Date.UTC(year + 1, 0, 1);
  return { from, until };
}
