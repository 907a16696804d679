/** Deterministic vectors for store tests: the same seed always gives the same numbers. */

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

export function normalize(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) ** 2;
  const norm = Math.sqrt(sum);
  return Float32Array.from(v, (x) => x / norm);
}

export function randomUnit(dims: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return normalize(Float64Array.from({ length: dims }, () => random() * 2 - 1));
}

/** A unit vector whose cosine with the unit vector `to` is exactly `cosine` (up to float32 rounding). */
export function atCosine(to: Float32Array, cosine: number, seed: number): Float32Array {
  const r = randomUnit(to.length, seed);
  const along = dot(r, to);
  const orthogonal = normalize(Float64Array.from(r, (x, i) => x - along * (to[i] as number)));
  const sine = Math.sqrt(1 - cosine * cosine);
  return normalize(Float64Array.from(to, (x, i) => cosine * x + sine * (orthogonal[i] as number)));
}

/** Brute-force cosine ranking: the reference every backend's kNN must match. */
export function exactRanking<T extends { image_id: string; image_embedding: Float32Array }>(
  docs: T[],
  query: Float32Array,
): { id: string; score: number }[] {
  return docs
    .map((d) => ({ id: d.image_id, score: dot(normalize(d.image_embedding), normalize(query)) }))
    .sort((a, b) => b.score - a.score);
}
