/**
 * Memoises an async lookup for `ttlMs`, keyed by `keyOf(input)`: callers within that time share one answer
 * (and one request while it runs). Failures are not kept, so the next caller asks again.
 */
export function cachedLookup<I, T>(
  ttlMs: number,
  keyOf: (input: I) => string,
  load: (input: I) => Promise<T>,
): (input: I) => Promise<T> {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return (input) => {
    const key = keyOf(input);
    const now = Date.now();
    const entry = entries.get(key);
    if (entry && now - entry.at < ttlMs) return entry.value;
    const value = load(input);
    entries.set(key, { at: now, value });
    value.catch(() => {
      if (entries.get(key)?.value === value) entries.delete(key);
    });
    return value;
  };
}
