import { describe, expect, it } from 'vitest';
import { parseCommandText } from '../../adapters/slack/parse.js';
import { commands } from '../../commands/index.js';
import type { CommandSpec } from '../../src/bot/types.js';
import { InputError } from '../../src/util/errors.js';

const spec = (name: string): CommandSpec => {
  const found = commands.find((c) => c.spec.name === name)?.spec;
  if (!found) throw new Error(`no command ${name}`);
  return found;
};

describe('slash command text', () => {
  it('keeps every number in the query; the count is said count:N', () => {
    for (const query of ['iphone 15', 'apollo 11', '2024 calendar', 'area 51', '1984', 'snowy mountain 10']) {
      expect(parseCommandText(spec('find'), query)).toEqual({ text: query });
    }
    expect(parseCommandText(spec('find'), 'iphone 15 count:10')).toEqual({ text: 'iphone 15', count: '10' });
    expect(parseCommandText(spec('find'), 'count:3 snowy   mountain')).toEqual({
      text: 'snowy mountain',
      count: '3',
    });
    expect(parseCommandText(spec('find'), '  snowy   mountain  ')).toEqual({ text: 'snowy mountain' });
  });

  it('leaves words with a colon alone unless they name an option', () => {
    expect(parseCommandText(spec('find'), 'meeting at 10:30 note:blue')).toEqual({
      text: 'meeting at 10:30 note:blue',
    });
  });

  it('reads --name value and --name=value, and passes unknown options on for the bot to refuse', () => {
    expect(parseCommandText(spec('find'), 'snowy --count 3 mountain')).toEqual({
      text: 'snowy mountain',
      count: '3',
    });
    expect(parseCommandText(spec('find'), 'cats --count=7')).toEqual({ text: 'cats', count: '7' });
    expect(parseCommandText(spec('find'), 'cats --colour red')).toEqual({ text: 'cats', colour: 'red' });
  });

  it('switches a boolean option on by its bare name', () => {
    const reindex = spec('reindex');
    expect(parseCommandText(reindex, 'full')).toEqual({ full: true });
    expect(parseCommandText(reindex, '--full photos')).toEqual({ full: true, source: 'photos' });
    expect(() => parseCommandText(spec('status'), 'everything')).toThrow(InputError);
  });

  it('sorts what `similar` points at: a result, an image id or a link (Slack wraps links in <>)', () => {
    expect(parseCommandText(spec('similar'), '#2')).toEqual({ result: '#2' });
    expect(parseCommandText(spec('similar'), '2 count:10')).toEqual({ result: '2', count: '10' });
    expect(parseCommandText(spec('similar'), '0123456789abcdef0123456789abcdef')).toEqual({
      result: '0123456789abcdef0123456789abcdef',
    });
    expect(parseCommandText(spec('similar'), '<https://images.example.com/a.jpg|a.jpg>')).toEqual({
      url: 'https://images.example.com/a.jpg',
    });
    expect(() => parseCommandText(spec('similar'), 'that red one')).toThrow(/give a result/);
  });
});
