import { describe, expect, it } from 'vitest';
import { fuseRanks } from '../../src/search/fusion.js';
import { matchText } from '../../src/store/text-match.js';
import { clipTextOf, findTextOf } from '../../src/search/text-query.js';
import type { Hit } from '../../src/store/types.js';

const words = (text: string) => ({ words: text, phrase: false });

describe('matchText', () => {
  it('matches words inside run-together OCR text and with a misread letter', () => {
    expect(matchText(words('service unavailable'), '503ServiceUnavailable')?.matched).toEqual([
      '503ServiceUnavailable',
    ]);
    expect(matchText(words('connection refused'), 'Connectlon refused')).toBeDefined();
    expect(matchText(words('网关超时'), '服务器错误\n网关超时')).toBeDefined();
  });

  it('needs most of the query, counted in letters, and short words as whole words', () => {
    expect(matchText(words('snowy mountain'), 'mountain view')).toBeUndefined();
    expect(matchText(words('a cat on a sofa'), 'road cat problem\nmonday again')).toBeUndefined();
    expect(matchText(words('on'), 'monday')).toBeUndefined();
    expect(matchText(words('on'), 'turn on')).toBeDefined();
  });

  it('scores words standing together in order above the same words apart', () => {
    const together = matchText(words('this is fine'), 'this is fine');
    const apart = matchText(words('this is fine'), 'fine, this is not');
    expect(together!.score).toBeGreaterThan(apart!.score);
    expect(matchText({ words: 'is fine', phrase: true }, 'fine, this is not')).toBeUndefined();
  });
});

describe('fuseRanks', () => {
  const hit = (id: string, extra: Partial<Hit> = {}) => ({ image_id: id, score: 0, ...extra }) as Hit;

  it('keeps one list as it is, and puts a weighted top text match above the top vector hit', () => {
    const vector = [hit('a', { score: 0.3 }), hit('b', { score: 0.2 })];
    expect(fuseRanks([{ hits: vector, weight: 1 }]).map((h) => h.image_id)).toEqual(['a', 'b']);
    const fused = fuseRanks([
      { hits: vector, weight: 1 },
      { hits: [hit('c', { matched: ['502'] }), hit('b', { matched: ['x'] })], weight: 2 },
    ]);
    expect(fused.map((h) => h.image_id)).toEqual(['b', 'c', 'a']);
    expect(fused[0]).toMatchObject({ score: 0.2, matched: ['x'] });
  });
});

describe('findTextOf', () => {
  it('reads quoted phrases and text: as asking for the words alone', () => {
    expect(findTextOf('"this is fine"')).toEqual({ words: 'this is fine', phrase: true, only: true });
    expect(findTextOf('meme text:"this is fine"')).toEqual({
      words: 'this is fine',
      phrase: true,
      only: true,
    });
    expect(findTextOf('text:502')).toEqual({ words: '502', phrase: false, only: true });
    expect(findTextOf('502 bad gateway')).toEqual({ words: '502 bad gateway', phrase: false, only: false });
    expect(clipTextOf('text:"this is fine"')).toBe('"this is fine"');
  });
});
