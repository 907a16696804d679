import { exactSearch, MetricKind } from 'usearch';
import { Block, dotAt, type FactCodes, type RowFacts, type RowTest, type Scored } from './block.js';
import type { NearestCentre } from './nearest-centre.js';

/** How the embedded store searches a large partition approximately (bench/scale-embedded.md measured these). */
export interface AnnSettings {
  /** Partitions with at least this many rows get an inverted-file index; smaller ones are scanned exactly. */
  threshold: number;
  /** Lists an unfiltered query scans, nearest centres first. */
  probes: number;
  /**
   * A filtered query scans lists until the rows that passed its filter reach `filteredDepth` times what an
   * unfiltered probe scans (its neighbours are further away: a 10% filter's top 10 are the unfiltered top 100),
   * and never stops before k have passed. A very selective filter so ends up scanning every list: exact search.
   */
  filteredDepth: number;
}

export const defaultAnnSettings: AnnSettings = { threshold: 50_000, probes: 24, filteredDepth: 1 };

/** Lists for a partition of `rows` rows: about sqrt(rows / 4), so 1M rows make 500 lists of ~2,000. */
export const listCountFor = (rows: number) => Math.max(8, Math.round(Math.sqrt(rows / 4)));

/**
 * An inverted-file index (IVF): the rows are split among lists by their nearest centre (spherical k-means);
 * a query scans only the lists whose centres are nearest to it. Each list is a Block of its own, so a list is
 * scanned natively like a small partition, and updates after the build go to the nearest list.
 */
export class IvfIndex {
  readonly lists: Block[];
  private readonly listOf = new Map<string, number>();

  constructor(
    /** Unit centres, row-major. */
    readonly centres: Float32Array,
    readonly dims: number,
    /** The partition's size when the centres were trained: retrained once it has grown 4x. */
    readonly trainedRows: number,
    codes: FactCodes,
  ) {
    this.lists = Array.from({ length: centres.length / dims }, () => new Block(dims, codes));
  }

  get size(): number {
    return this.listOf.size;
  }

  has(id: string): boolean {
    return this.listOf.has(id);
  }

  /** Inserts or replaces; `list` when the caller already knows the nearest centre (a bulk assignment). */
  put(id: string, vector: Float32Array, facts: RowFacts, list = this.nearest(vector)): void {
    const was = this.listOf.get(id);
    if (was !== undefined && was !== list) this.lists[was]!.remove(id);
    this.lists[list]!.put(id, vector, facts);
    this.listOf.set(id, list);
  }

  /** Removes the row of `id` (moves inside a list do not concern callers: returns undefined). */
  remove(id: string): undefined {
    const list = this.listOf.get(id);
    if (list === undefined) return undefined;
    this.listOf.delete(id);
    this.lists[list]!.remove(id);
    return undefined;
  }

  ids(): IterableIterator<string> {
    return this.listOf.keys();
  }

  copyInto(id: string, out: Float32Array, offset: number): boolean {
    const list = this.listOf.get(id);
    return list !== undefined && this.lists[list]!.copyInto(id, out, offset);
  }

  factsOf(id: string): RowFacts | undefined {
    const list = this.listOf.get(id);
    return list === undefined ? undefined : this.lists[list]!.factsOf(id);
  }

  vector(id: string): Float32Array | undefined {
    const list = this.listOf.get(id);
    return list === undefined ? undefined : this.lists[list]!.vector(id);
  }

  count(keep: RowTest | undefined): number {
    return this.lists.reduce((n, list) => n + list.countWhere(keep), 0);
  }

  /** The best `k` by inner product among the lists probed (every list, when the filter leaves too few). */
  search(query: Float32Array, k: number, threads: number, settings: AnnSettings, keep?: RowTest): Scored[] {
    const order = this.probeOrder(query);
    const unfilteredScan = settings.probes * (this.size / this.lists.length);
    const depth = Math.max(k, settings.filteredDepth * unfilteredScan);
    const hits: Scored[] = [];
    let seen = 0;
    for (let i = 0; i < order.length; i++) {
      if (i >= settings.probes && seen >= (keep ? depth : k)) break;
      const list = this.lists[order[i]!]!;
      if (list.rows === 0) continue;
      if (keep) {
        const found = list.searchWhere(query, k, keep);
        hits.push(...found.hits);
        seen += found.passed;
      } else {
        hits.push(...list.search(query, k, threads));
        seen += list.rows;
      }
    }
    hits.sort((a, b) => b.score - a.score);
    return hits.slice(0, k);
  }

  /** List numbers, nearest centre first. */
  private probeOrder(query: Float32Array): number[] {
    const count = this.lists.length;
    const found = exactSearch(this.centres, query, this.dims, count, MetricKind.IP, 1);
    const order: number[] = [];
    for (let i = 0; i < count; i++) order.push(Number(found.keys[i]));
    return order;
  }

  private nearest(vector: Float32Array): number {
    let best = 0;
    let top = -Infinity;
    for (let c = 0; c < this.lists.length; c++) {
      const score = dotAt(this.centres, c * this.dims, vector, this.dims);
      if (score > top) {
        top = score;
        best = c;
      }
    }
    return best;
  }
}

/**
 * Spherical k-means over `sample` (row-major unit vectors): `lists` unit centres. Starts from distinct sample
 * rows; an emptied centre restarts at a random row. Deterministic for a given `random`.
 */
export async function trainCentres(
  sample: Float32Array,
  dims: number,
  lists: number,
  nearest: NearestCentre,
  random: () => number,
  iterations = 8,
): Promise<Float32Array> {
  const rows = sample.length / dims;
  const centres = new Float32Array(lists * dims);
  const picked = new Set<number>();
  for (let c = 0; c < lists; c++) {
    let row = Math.floor(random() * rows);
    while (picked.has(row) && picked.size < rows) row = (row + 1) % rows;
    picked.add(row);
    centres.set(sample.subarray(row * dims, (row + 1) * dims), c * dims);
  }
  for (let iteration = 0; iteration < iterations; iteration++) {
    const assigned = await nearest.assign(sample, rows, centres, dims);
    const sums = new Float64Array(lists * dims);
    const sizes = new Int32Array(lists);
    for (let r = 0; r < rows; r++) {
      const c = assigned[r]!;
      sizes[c]!++;
      for (let j = 0, o = r * dims, s = c * dims; j < dims; j++) sums[s + j]! += sample[o + j]!;
    }
    for (let c = 0; c < lists; c++) {
      if (sizes[c] === 0) {
        const row = Math.floor(random() * rows);
        centres.set(sample.subarray(row * dims, (row + 1) * dims), c * dims);
        continue;
      }
      let norm = 0;
      for (let j = 0; j < dims; j++) norm += sums[c * dims + j]! ** 2;
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let j = 0; j < dims; j++) centres[c * dims + j] = sums[c * dims + j]! * scale;
    }
  }
  return centres;
}
