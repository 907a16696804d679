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

/** A row-level filter: the authors and formats allowed (any when absent), and a date range [from, until). */
export interface RowTest {
  authors?: readonly string[];
  formats?: readonly string[];
  dates?: { from?: number; until?: number };
}

/**
 * Authors and formats as small integers, shared by the blocks of one vector table: a filtered scan compares
 * numbers in typed columns instead of reading an object per row (5-10x faster at 100k rows:
 * bench/scale-100k.md). 0 is "none". The table grows by the distinct values its store has seen and goes with it.
 */
export class FactCodes {
  private readonly codes = new Map<string, number>();
  private readonly names: (string | undefined)[] = [undefined];

  codeOf(value: string | undefined): number {
    if (value === undefined) return 0;
    let code = this.codes.get(value);
    if (code === undefined) {
      code = this.names.push(value) - 1;
      this.codes.set(value, code);
    }
    return code;
  }

  nameOf(code: number): string | undefined {
    return this.names[code];
  }

  /** The codes of the values, leaving out those never stored (no row can hold them). */
  known(values: readonly string[] | undefined): Set<number> | undefined {
    return values && new Set(values.flatMap((v) => (this.codes.has(v) ? [this.codes.get(v)!] : [])));
  }
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
  /** The facts in columns, row by row: author and format codes, the date (NaN: none). */
  private authors: Int32Array;
  private formats: Int32Array;
  private dates: Float64Array;
  private readonly rowOf = new Map<string, number>();

  constructor(
    private readonly dims: number,
    private readonly codes: FactCodes,
  ) {
    this.matrix = new Float32Array(initialRows * dims);
    this.authors = new Int32Array(initialRows);
    this.formats = new Int32Array(initialRows);
    this.dates = new Float64Array(initialRows);
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Inserts or overwrites the row of `id`. */
  put(id: string, vector: Float32Array, facts: RowFacts): void {
    const at = this.rowOf.get(id);
    if (at !== undefined) {
      this.matrix.set(vector, at * this.dims);
      this.setFacts(at, facts);
      return;
    }
    if ((this.rows + 1) * this.dims > this.matrix.length) {
      this.resize(this.rows < gentleGrowthRows ? this.rows * 2 : Math.ceil(this.rows * 1.25));
    }
    this.matrix.set(vector, this.rows * this.dims);
    this.ids.push(id);
    this.setFacts(this.rows, facts);
    this.rowOf.set(id, this.rows++);
  }

  private setFacts(row: number, facts: RowFacts): void {
    this.authors[row] = this.codes.codeOf(facts.author);
    this.formats[row] = this.codes.codeOf(facts.format);
    this.dates[row] = facts.date ?? Number.NaN;
  }

  /** Removes the row of `id`; returns the id of the row moved into its place, if any. */
  remove(id: string): string | undefined {
    const row = this.rowOf.get(id);
    if (row === undefined) return undefined;
    this.rowOf.delete(id);
    const last = --this.rows;
    const lastId = this.ids.pop() as string;
    if (row !== last) {
      this.matrix.copyWithin(row * this.dims, last * this.dims, (last + 1) * this.dims);
      this.ids[row] = lastId;
      this.authors[row] = this.authors[last]!;
      this.formats[row] = this.formats[last]!;
      this.dates[row] = this.dates[last]!;
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
    if (row === undefined) return undefined;
    const author = this.codes.nameOf(this.authors[row]!);
    const format = this.codes.nameOf(this.formats[row]!);
    const date = this.dates[row]!;
    return {
      ...(author !== undefined && { author }),
      ...(format !== undefined && { format }),
      ...(!Number.isNaN(date) && { date }),
    };
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
   * The best `k` of the rows `test` allows, by a plain scan (no post-filtering: the count stays honest), and
   * how many rows passed the filter.
   */
  searchWhere(query: Float32Array, k: number, test: RowTest): { hits: Scored[]; passed: number } {
    const best: Scored[] = [];
    let passed = 0;
    const allows = this.allows(test);
    for (let row = 0; row < this.rows; row++) {
      if (!allows(row)) continue;
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

  countWhere(test: RowTest | undefined): number {
    if (!test) return this.rows;
    const allows = this.allows(test);
    let n = 0;
    for (let row = 0; row < this.rows; row++) if (allows(row)) n++;
    return n;
  }

  /** The test over this block's columns: integer and number compares only. A row without a date fails a range. */
  private allows(test: RowTest): (row: number) => boolean {
    const authors = this.codes.known(test.authors);
    const formats = this.codes.known(test.formats);
    const from = test.dates?.from ?? -Infinity;
    const until = test.dates?.until ?? Infinity;
    const dated = test.dates !== undefined;
    const { authors: authorCol, formats: formatCol, dates } = this;
    return (row) =>
      (!authors || authors.has(authorCol[row]!)) &&
      (!formats || formats.has(formatCol[row]!)) &&
      (!dated || (dates[row]! >= from && dates[row]! < until));
  }

  resize(rows: number): void {
    const capacity = Math.max(rows, initialRows);
    const next = new Float32Array(capacity * this.dims);
    next.set(this.matrix.subarray(0, this.rows * this.dims));
    this.matrix = next;
    const column = <T extends Int32Array | Float64Array>(old: T, made: T): T => {
      made.set(old.subarray(0, this.rows));
      return made;
    };
    this.authors = column(this.authors, new Int32Array(capacity));
    this.formats = column(this.formats, new Int32Array(capacity));
    this.dates = column(this.dates, new Float64Array(capacity));
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
