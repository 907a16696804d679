import { InputError } from '../util/errors.js';

/** One term's vector and its signed weight. */
export interface WeightedVector {
  vector: Float32Array;
  weight: number;
}

/**
 * The weighted sum of L2-normalised vectors, normalised again: a query's direction. Negative weights pull
 * away from what their terms describe ("mountain -people").
 */
export function combineVectors(terms: readonly WeightedVector[], what = 'query'): Float32Array {
  const first = terms[0];
  if (!first) throw new InputError(what, 'there is nothing to search for');
  const sum = new Float32Array(first.vector.length);
  for (const { vector, weight } of terms) {
    if (vector.length !== sum.length) throw new InputError(what, 'its terms have vectors of different sizes');
    for (let i = 0; i < sum.length; i++) sum[i]! += weight * vector[i]!;
  }
  let norm = 0;
  for (const x of sum) norm += x * x;
  norm = Math.sqrt(norm);
  // Terms that cancel out (e.g. "cat -cat") leave no direction to search in.
  if (norm < 1e-6) throw new InputError(what, 'its terms cancel each other out');
  for (let i = 0; i < sum.length; i++) sum[i]! /= norm;
  return sum;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
