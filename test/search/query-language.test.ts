import { describe, expect, it } from 'vitest';
import { dateSpan, parseQuery } from '../../src/search/query-language.js';
import { InputError } from '../../src/util/errors.js';

const terms = (text: string) =>
  parseQuery(text).terms.map((t) =>
    'text' in t.target ? `${t.weight}:${t.target.text}` : `${t.weight}:#${t.target.rank}`,
  );
const refused = (text: string): string => {
  try {
    parseQuery(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).message;
  }
  throw new Error(`"${text}" was accepted`);
};

describe('the query grammar', () => {
  it('keeps plain words together as one phrase, numbers included', () => {
    expect(terms('snowy mountain')).toEqual(['1:snowy mountain']);
    expect(terms('iphone 15')).toEqual(['1:iphone 15']);
    expect(terms('meeting at 10:30')).toEqual(['1:meeting at 10:30']);
  });

  it('subtracts with -, adds with +, weights with N:, and keeps quoted phrases together', () => {
    expect(terms('snowy mountain -people')).toEqual(['1:snowy mountain', '-1:people']);
    expect(terms('snowy mountain -people at night')).toEqual(['1:snowy mountain', '-1:people', '1:at night']);
    expect(terms('2:beach + sunset')).toEqual(['2:beach', '1:sunset']);
    expect(terms('"red car" -truck')).toEqual(['1:red car', '-1:truck']);
    expect(terms('-0.5:"blue sky" sea')).toEqual(['-0.5:blue sky', '1:sea']);
    expect(terms('dog - cat')).toEqual(['1:dog', '-1:cat']);
  });

  it('takes results of the last search as terms: more like #2 but not #3', () => {
    expect(terms('#2 -#3 at night')).toEqual(['1:#2', '-1:#3', '1:at night']);
  });

  it('reads the filters, sort, count and all, with quoted values', () => {
    const q = parseQuery(
      'harbour in:#trips from:@alice after:2024-06-01 before:2024-09 type:JPG source:"summer 2024" sort:date count:10 all:true',
    );
    expect(terms('harbour in:#trips')).toEqual(['1:harbour']);
    expect(q.filters).toEqual({
      channels: ['#trips'],
      authors: ['@alice'],
      dates: { from: Date.UTC(2024, 5, 2), until: Date.UTC(2024, 8, 1) },
      types: ['jpeg'],
      sources: ['summer 2024'],
    });
    expect(q).toMatchObject({ sort: 'date', count: 10, all: true });
    expect(parseQuery('during:2024-07 cats').filters.dates).toEqual({
      from: Date.UTC(2024, 6, 1),
      until: Date.UTC(2024, 7, 1),
    });
    expect(parseQuery('only filters in:#trips').terms).toHaveLength(1);
    expect(parseQuery('in:#trips').terms).toEqual([]);
  });

  it('names the bad part of a query', () => {
    expect(refused('cats after:2024-13-01')).toMatch(/^after:2024-13-01: is not a date/);
    expect(refused('cats during:last-summer')).toMatch(/^during:last-summer: is not a date/);
    expect(refused('cats after:2024-09-01 before:2024-06-01')).toMatch(
      /^before:2024-06-01: no date is in all/,
    );
    expect(refused('-people')).toMatch(/not only what to leave out/);
    expect(refused('-people -cars')).toMatch(/not only what to leave out/);
    expect(refused('20:beach')).toMatch(/^20:beach: weights go from 0\.1 to 10/);
    expect(refused('"red car')).toMatch(/^"red: a quote is not closed/);
    expect(refused('cats type:svgz')).toMatch(/^type:svgz: the image types are/);
    expect(refused('cats sort:size')).toMatch(/^sort:size: sort by relevance or by date/);
    expect(refused('cats in:')).toMatch(/^in:: in: needs a value/);
    expect(refused(Array.from({ length: 13 }, (_, i) => `+w${i}`).join(' '))).toMatch(/at most 12 phrases/);
    // 500 characters of operators: refused with a reason, not a crash or a hang.
    expect(refused('- '.repeat(250))).toMatch(/^- -: a \+ or - needs a word after it/);
    expect(refused('cats +')).toMatch(/^\+: a \+ or - needs a word after it/);
  });

  it('understands days, months and years as spans', () => {
    expect(dateSpan('2024')).toEqual({ from: Date.UTC(2024, 0, 1), until: Date.UTC(2025, 0, 1) });
    expect(dateSpan('2024-02-29')).toEqual({ from: Date.UTC(2024, 1, 29), until: Date.UTC(2024, 2, 1) });
    expect(() => dateSpan('2023-02-29')).toThrow(/is not a date/);
  });
});
