import { describe, expect, it } from 'vitest';
import { combineVectors, dot } from '../../src/search/combine.js';
import { foldNearCopies } from '../../src/search/near-copies.js';
import { relevanceCut } from '../../src/search/relevance.js';
import { InputError } from '../../src/util/errors.js';

const unit = (...xs: number[]) => {
  const v = Float32Array.from(xs);
  const n = Math.hypot(...xs);
  return v.map((x) => x / n);
};

describe('combining query terms', () => {
  it('sums the weighted vectors and renormalises', () => {
    const beach = unit(1, 0, 0);
    const sunset = unit(0, 1, 0);
    const q = combineVectors([
      { vector: beach, weight: 2 },
      { vector: sunset, weight: 1 },
    ]);
    expect(Math.hypot(...q)).toBeCloseTo(1, 6);
    expect(dot(q, beach)).toBeGreaterThan(dot(q, sunset));
    const away = combineVectors([
      { vector: unit(1, 1, 0), weight: 1 },
      { vector: unit(0, 1, 0), weight: -1 },
    ]);
    expect(dot(away, unit(0, 1, 0))).toBeLessThan(dot(unit(1, 1, 0), unit(0, 1, 0)));
  });

  it('refuses terms that cancel out, and nothing at all', () => {
    const cat = unit(0, 0, 1);
    expect(() =>
      combineVectors([
        { vector: cat, weight: 1 },
        { vector: cat, weight: -1 },
      ]),
    ).toThrow(InputError);
    expect(() => combineVectors([])).toThrow(/nothing to search for/);
  });
});

describe('folding near-copies', () => {
  it('keeps the best of each group, in rank order, with its copies under it', () => {
    const a = unit(1, 0, 0);
    const aCopy = unit(1, 0.05, 0); // cosine ~0.9988
    const b = unit(0, 1, 0);
    const aCopy2 = unit(1, 0, 0.04);
    const folded = foldNearCopies(
      [
        { item: 'a', vector: a },
        { item: 'a-copy', vector: aCopy },
        { item: 'b', vector: b },
        { item: 'a-copy-2', vector: aCopy2 },
      ],
      0.97,
    );
    expect(folded).toEqual([
      { item: 'a', nearCopies: ['a-copy', 'a-copy-2'] },
      { item: 'b', nearCopies: [] },
    ]);
    expect(
      foldNearCopies(
        [
          { item: 'a', vector: a },
          { item: 'a-copy', vector: aCopy },
        ],
        1.01,
      ),
    ).toHaveLength(2);
  });

  it('stops after the hits asked for, with the copies folding all of them would give those hits', () => {
    const axes = (i: number) => unit(...Array.from({ length: 8 }, (_, k) => (k === i % 8 ? 1 : 0.01 * k)));
    // Eight directions, each appearing three times down the ranking: every later one is a copy of an earlier.
    const ranked = Array.from({ length: 24 }, (_, i) => ({ item: `${i}`, vector: axes(i) }));
    const all = foldNearCopies(ranked, 0.97);
    expect(all).toHaveLength(8);
    expect(all[0]).toEqual({ item: '0', nearCopies: ['8', '16'] });
    for (const keep of [1, 3, 8, 20]) {
      expect(foldNearCopies(ranked, 0.97, keep)).toEqual(all.slice(0, keep));
    }
  });
});

describe('the relevance cut', () => {
  it('cuts hits far below the best relative to this answer’s spread, never the best one', () => {
    // A clear match: two strong hits over a background around 0.20.
    const clear = [0.34, 0.31, 0.22, 0.21, 0.2, 0.2, 0.19, 0.19, 0.18];
    expect(relevanceCut(clear)).toBe(2);
    // No standout: everything alike is kept (the low-confidence note tells the rest).
    expect(relevanceCut([0.21, 0.205, 0.2, 0.2, 0.199])).toBe(5);
    expect(relevanceCut([0.3])).toBe(1);
    expect(relevanceCut([])).toBe(0);
  });

  it('is the same rule at any score level (a fixed threshold is not)', () => {
    const shifted = [0.34, 0.31, 0.22, 0.21, 0.2, 0.2, 0.19, 0.19, 0.18].map((s) => s + 0.4);
    expect(relevanceCut(shifted)).toBe(2);
  });
});
