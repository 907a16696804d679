import { exactSearch, MetricKind } from 'usearch';

export interface Scored {
  id: string;
  score: number;
}

/** What row-level filters (author, format, date) test; kept beside each row's vector. */
export interface RowFacts {
  author?: string;
  format?: string;
  date?: number;
}

/** Blocks at least this large are scanned with several threads (thread start-up costs ~50 µs). */
const parallelRows = 20_000;
const initialRows = 16;
/** Small blocks double; large ones grow by a quarter, so spare capacity stays under 25%. */
const gentleGrowthRows = 4096;

/**
 * One contiguous row-major matrix of unit vectors with their ids and facts: a whole partition of the
 * embedded store, or one list of its approximate index. Rows are kept dense: a removal moves the last row in.
 */
export class Block {
  rows = 0;
  matrix: Float32Array;
  readonly ids: string[] = [];
  readonly facts: RowFacts[] = [];
  private readonly rowOf = new Map<string, number>();

  constructor(private readonly dims: number) {
    this.matrix = new Float32Array(initialRows * dims);
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Inserts or overwrites the row of `id`. */
  put(id: string, vector: Float32Array, facts: RowFacts): void {
    const at = this.rowOf.get(id);
    if (at !== undefined) {
      this.matrix.set(vector, at * this.dims);
      this.facts[at] = facts;
      return;
    }
    if ((this.rows + 1) * this.dims > this.matrix.length) {
      this.resize(this.rows < gentleGrowthRows ? this.rows * 2 : Math.ceil(this.rows * 1.25));
    }
    this.matrix.set(vector, this.rows * this.dims);
    this.ids.push(id);
    this.facts.push(facts);
    this.rowOf.set(id, this.rows++);
  }

  /** Removes the row of `id`; returns the id of the row moved into its place, if any. */
  remove(id: string): string | undefined {
    const row = this.rowOf.get(id);
    if (row === undefined) return undefined;
    this.rowOf.delete(id);
    const last = --this.rows;
    const lastId = this.ids.pop() as string;
    const lastFacts = this.facts.pop() as RowFacts;
    if (row !== last) {
      this.matrix.copyWithin(row * this.dims, last * this.dims, (last + 1) * this.dims);
      this.ids[row] = lastId;
      this.facts[row] = lastFacts;
      this.rowOf.set(lastId, row);
    }
    if (this.rows > initialRows && this.rows * 4 < this.matrix.length / this.dims) this.resize(this.rows * 2);
    return row !== last ? lastId : undefined;
  }

  /** A copy of the vector of `id`. */
  vector(id: string): Float32Array | undefined {
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.matrix.slice(row * this.dims, (row + 1) * this.dims);
  }

  /** Copies the vector of `id` into `out` at `offset`; false when the block does not hold it. */
  copyInto(id: string, out: Float32Array, offset: number): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    out.set(this.matrix.subarray(row * this.dims, (row + 1) * this.dims), offset);
    return true;
  }

  factsOf(id: string): RowFacts | undefined {
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.facts[row];
  }

  /** The best `k` rows by inner product (= cosine on unit vectors), natively. */
  search(query: Float32Array, k: number, threads: number): Scored[] {
    const wanted = Math.min(k, this.rows);
    if (wanted === 0) return [];
    // usearch reads from the start of the underlying buffer and ignores a view's offset:
    // the matrix always owns its buffer from byte 0, so a length-limited view is safe.
    const found = exactSearch(
      this.matrix.subarray(0, this.rows * this.dims),
      query,
      this.dims,
      wanted,
      MetricKind.IP,
      this.rows >= parallelRows ? threads : 1,
    );
    const hits: Scored[] = [];
    for (let i = 0; i < wanted; i++) {
      // Distance is 1 - dot; clamp the float rounding so scores stay within [-1, 1].
      const score = Math.min(1, Math.max(-1, 1 - (found.distances[i] as number)));
      hits.push({ id: this.ids[Number(found.keys[i])] as string, score });
    }
    return hits;
  }

  /**
   * The best `k` of the rows `keep` allows, by a plain scan (no post-filtering: the count stays honest), and
   * how many rows passed the filter.
   */
  searchWhere(
    query: Float32Array,
    k: number,
    keep: (facts: RowFacts) => boolean,
  ): { hits: Scored[]; passed: number } {
    const best: Scored[] = [];
    let passed = 0;
    for (let row = 0; row < this.rows; row++) {
      if (!keep(this.facts[row]!)) continue;
      passed++;
      const score = dotAt(this.matrix, row * this.dims, query, this.dims);
      if (best.length < k) best.push({ id: this.ids[row]!, score });
      else if (score > best[best.length - 1]!.score) best[best.length - 1] = { id: this.ids[row]!, score };
      else continue;
      // Insertion step: the one changed entry moves up to its place.
      for (let i = best.length - 1; i > 0 && best[i]!.score > best[i - 1]!.score; i--) {
        [best[i], best[i - 1]] = [best[i - 1]!, best[i]!];
      }
    }
    return { hits: best.map((hit) => ({ ...hit, score: Math.min(1, Math.max(-1, hit.score)) })), passed };
  }

  countWhere(keep: ((facts: RowFacts) => boolean) | undefined): number {
    if (!keep) return this.rows;
    let n = 0;
    for (let row = 0; row < this.rows; row++) if (keep(this.facts[row]!)) n++;
    return n;
  }

  resize(rows: number): void {
    const next = new Float32Array(Math.max(rows, initialRows) * this.dims);
    next.set(this.matrix.subarray(0, this.rows * this.dims));
    this.matrix = next;
  }
}

/** Dot product of `query` with the row starting at `base`, four lanes at a time (about 3x a plain loop). */
export function dotAt(matrix: Float32Array, base: number, query: Float32Array, dims: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i + 3 < dims; i += 4) {
    a += matrix[base + i]! * query[i]!;
    b += matrix[base + i + 1]! * query[i + 1]!;
    c += matrix[base + i + 2]! * query[i + 2]!;
    d += matrix[base + i + 3]! * query[i + 3]!;
  }
  for (; i < dims; i++) a += matrix[base + i]! * query[i]!;
  return a + b + c + d;
}
