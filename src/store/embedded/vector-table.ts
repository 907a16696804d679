import { exactSearch, MetricKind } from 'usearch';
import type { DocFilter, TenantScope } from '../types.js';
import { tenantsOf } from '../tenants.js';

/** Where a document sits: every document of one (tenant, source, channel) shares a partition. */
export interface Placement {
  tenant: string;
  source: string;
  channel: string | undefined;
}

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

/** Partitions at least this large are scanned with several threads (thread start-up costs ~50 µs). */
const parallelRows = 20_000;
const initialRows = 16;
/** Small partitions double; large ones grow by a quarter, so spare capacity stays under 25%. */
const gentleGrowthRows = 4096;

/** One contiguous row-major matrix of unit vectors. Rows are kept dense: a removal moves the last row in. */
class Partition {
  rows = 0;
  matrix: Float32Array;
  readonly ids: string[] = [];
  readonly facts: RowFacts[] = [];

  constructor(
    readonly place: Placement,
    private readonly dims: number,
  ) {
    this.matrix = new Float32Array(initialRows * dims);
  }

  append(id: string, vector: Float32Array, facts: RowFacts): number {
    if ((this.rows + 1) * this.dims > this.matrix.length) {
      this.resize(this.rows < gentleGrowthRows ? this.rows * 2 : Math.ceil(this.rows * 1.25));
    }
    this.matrix.set(vector, this.rows * this.dims);
    this.ids.push(id);
    this.facts.push(facts);
    return this.rows++;
  }

  overwrite(row: number, vector: Float32Array, facts: RowFacts): void {
    this.matrix.set(vector, row * this.dims);
    this.facts[row] = facts;
  }

  /** Removes a row; returns the id of the row moved into its place, if any. */
  removeAt(row: number): string | undefined {
    const last = --this.rows;
    const lastId = this.ids.pop() as string;
    const lastFacts = this.facts.pop() as RowFacts;
    if (row !== last) {
      this.matrix.copyWithin(row * this.dims, last * this.dims, (last + 1) * this.dims);
      this.ids[row] = lastId;
      this.facts[row] = lastFacts;
    }
    if (this.rows > initialRows && this.rows * 4 < this.matrix.length / this.dims) this.resize(this.rows * 2);
    return row !== last ? lastId : undefined;
  }

  /** The best `k` rows by inner product (= cosine on unit vectors). */
  search(query: Float32Array, k: number, threads: number): Scored[] {
    const wanted = Math.min(k, this.rows);
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
   * The best `k` of the rows `keep` allows, by a plain scan: a row-level filter (author, format, date) leaves
   * few rows, and scanning exactly those keeps recall at 1 and the count honest (no post-filtering).
   */
  searchWhere(query: Float32Array, k: number, keep: (facts: RowFacts) => boolean): Scored[] {
    const best: Scored[] = [];
    const dims = this.dims;
    for (let row = 0; row < this.rows; row++) {
      if (!keep(this.facts[row]!)) continue;
      let dot = 0;
      const base = row * dims;
      for (let i = 0; i < dims; i++) dot += this.matrix[base + i]! * query[i]!;
      if (best.length < k) best.push({ id: this.ids[row]!, score: dot });
      else if (dot > best[best.length - 1]!.score) best[best.length - 1] = { id: this.ids[row]!, score: dot };
      else continue;
      best.sort((a, b) => b.score - a.score);
    }
    return best.map((hit) => ({ ...hit, score: Math.min(1, Math.max(-1, hit.score)) }));
  }

  resize(rows: number): void {
    const next = new Float32Array(Math.max(rows, initialRows) * this.dims);
    next.set(this.matrix.subarray(0, this.rows * this.dims));
    this.matrix = next;
  }
}

/**
 * The in-memory search side of the embedded store: unit vectors partitioned by tenant, source and channel,
 * so a scoped, filtered query scans exactly the rows it may see (exact search, recall 1).
 */
export class VectorTable {
  private readonly tenants = new Map<string, Map<string, Partition>>();
  private readonly located = new Map<string, { partition: Partition; row: number }>();

  constructor(
    readonly dims: number,
    private readonly threads: number,
  ) {}

  get size(): number {
    return this.located.size;
  }

  get partitionCount(): number {
    let n = 0;
    for (const partitions of this.tenants.values()) n += partitions.size;
    return n;
  }

  get matrixBytes(): number {
    let bytes = 0;
    for (const partitions of this.tenants.values()) {
      for (const p of partitions.values()) bytes += p.matrix.byteLength;
    }
    return bytes;
  }

  /** Inserts or replaces; `vector` must be a unit vector of `dims` values. */
  put(id: string, place: Placement, vector: Float32Array, facts: RowFacts = {}): void {
    const at = this.located.get(id);
    if (at && samePlace(at.partition.place, place)) {
      at.partition.overwrite(at.row, vector, facts);
      return;
    }
    if (at) this.remove(id);
    const partition = this.partitionFor(place);
    this.located.set(id, { partition, row: partition.append(id, vector, facts) });
  }

  remove(id: string): void {
    const at = this.located.get(id);
    if (!at) return;
    this.located.delete(id);
    const moved = at.partition.removeAt(at.row);
    if (moved !== undefined) this.located.set(moved, { partition: at.partition, row: at.row });
    if (at.partition.rows === 0) this.dropPartition(at.partition.place);
  }

  /** Sizes a partition for `rows` documents up front (a bulk load), so it never grows and copies. */
  reserve(place: Placement, rows: number): void {
    const partition = this.partitionFor(place);
    if (partition.matrix.length < rows * this.dims) partition.resize(rows);
  }

  count(scope: TenantScope, filter: DocFilter | undefined): number {
    const keep = rowFilter(filter);
    return this.visible(scope, filter).reduce(
      (n, p) => n + (keep ? p.facts.slice(0, p.rows).filter(keep).length : p.rows),
      0,
    );
  }

  /** Exact top-k over the rows the scope and filter allow, best first (ties by id, for stable order). */
  search(query: Float32Array, k: number, scope: TenantScope, filter: DocFilter | undefined): Scored[] {
    const keep = rowFilter(filter);
    const hits = this.visible(scope, filter).flatMap((p) =>
      keep ? p.searchWhere(query, k, keep) : p.search(query, k, this.threads),
    );
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return hits.slice(0, k);
  }

  /** Copies of the stored vectors of those `ids` the scope may see. */
  vectors(ids: string[], scope: TenantScope): Map<string, Float32Array> {
    const found = new Map<string, Float32Array>();
    for (const id of ids) {
      const at = this.located.get(id);
      if (at && inScope(at.partition.place, scope) && allows(at.partition.place, scope, undefined)) {
        found.set(id, at.partition.matrix.slice(at.row * this.dims, (at.row + 1) * this.dims));
      }
    }
    return found;
  }

  private visible(scope: TenantScope, filter: DocFilter | undefined): Partition[] {
    const visible: Partition[] = [];
    for (const tenant of tenantsOf(scope)) {
      for (const p of this.tenants.get(tenant)?.values() ?? []) {
        if (p.rows > 0 && allows(p.place, scope, filter)) visible.push(p);
      }
    }
    return visible;
  }

  private partitionFor(place: Placement): Partition {
    let partitions = this.tenants.get(place.tenant);
    if (!partitions) this.tenants.set(place.tenant, (partitions = new Map()));
    const key = placeKey(place);
    let partition = partitions.get(key);
    if (!partition) partitions.set(key, (partition = new Partition(place, this.dims)));
    return partition;
  }

  private dropPartition(place: Placement): void {
    const partitions = this.tenants.get(place.tenant);
    partitions?.delete(placeKey(place));
    if (partitions?.size === 0) this.tenants.delete(place.tenant);
  }
}

function inScope(place: Placement, scope: TenantScope): boolean {
  return tenantsOf(scope).includes(place.tenant);
}

/** Filter lists are sets: an empty list matches nothing. visibleChannels always lets channel-less docs through. */
function allows(place: Placement, scope: TenantScope, filter: DocFilter | undefined): boolean {
  if (filter?.source && !filter.source.includes(place.source)) return false;
  if (filter?.channel_id && !(place.channel !== undefined && filter.channel_id.includes(place.channel))) {
    return false;
  }
  if (
    scope.visibleChannels &&
    place.channel !== undefined &&
    !scope.visibleChannels.includes(place.channel)
  ) {
    return false;
  }
  return true;
}

/** The row-level part of a filter as a test, or undefined when the partitions alone decide. */
function rowFilter(filter: DocFilter | undefined): ((facts: RowFacts) => boolean) | undefined {
  if (!filter?.author_id && !filter?.format && !filter?.date) return undefined;
  const { author_id: authors, format: formats, date } = filter;
  return (facts) =>
    (!authors || (facts.author !== undefined && authors.includes(facts.author))) &&
    (!formats || (facts.format !== undefined && formats.includes(facts.format))) &&
    (!date ||
      (facts.date !== undefined &&
        (date.from === undefined || facts.date >= date.from) &&
        (date.until === undefined || facts.date < date.until)));
}

function placeKey(place: Placement): string {
  return JSON.stringify([place.source, place.channel ?? null]);
}

function samePlace(a: Placement, b: Placement): boolean {
  return a.tenant === b.tenant && a.source === b.source && a.channel === b.channel;
}
