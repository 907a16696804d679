import type { DocFilter, TenantScope } from '../types.js';
import { tenantsOf } from '../tenants.js';
import { Block, FactCodes, type RowFacts, type RowTest, type Scored } from './block.js';
import { defaultAnnSettings, IvfIndex, listCountFor, trainCentres, type AnnSettings } from './ivf.js';
import { NearestCentre } from './nearest-centre.js';

export type { RowFacts, Scored } from './block.js';

/** Where a document sits: every document of one (tenant, source, channel) shares a partition. */
export interface Placement {
  tenant: string;
  source: string;
  channel: string | undefined;
}

/** Rows the k-means of an index build learns from, per list. */
const samplePerList = 40;
/** Rows assigned per step of a build; between steps the event loop serves queries. */
const buildStepRows = 16_384;

/**
 * The rows of one (tenant, source, channel): one Block scanned exactly, or, once the partition is large
 * (AnnSettings.threshold), an IvfIndex. The index is built in the background from the rows as they are; every
 * write meanwhile goes to the current storage and is noted, and replayed into the new index before it is
 * swapped in, so a query sees either the old storage or the finished index, never a half-built one.
 */
class Partition {
  storage: Block | IvfIndex;
  /** Ids written while an index is being built (replayed into it at the swap). */
  private changed: Set<string> | undefined;

  constructor(
    readonly place: Placement,
    private readonly dims: number,
    private readonly codes: FactCodes,
  ) {
    this.storage = new Block(dims, codes);
  }

  get rows(): number {
    return this.storage instanceof Block ? this.storage.rows : this.storage.size;
  }

  get indexed(): boolean {
    return this.storage instanceof IvfIndex;
  }

  put(id: string, vector: Float32Array, facts: RowFacts): void {
    this.storage.put(id, vector, facts);
    this.changed?.add(id);
  }

  remove(id: string): void {
    const moved = this.storage.remove(id);
    this.changed?.add(id);
    // A row moved into the hole may have been skipped by the build's pass over the rows.
    if (moved !== undefined) this.changed?.add(moved);
  }

  vector(id: string): Float32Array | undefined {
    return this.storage.vector(id);
  }

  count(keep: RowTest | undefined): number {
    return this.storage instanceof Block ? this.storage.countWhere(keep) : this.storage.count(keep);
  }

  search(
    query: Float32Array,
    k: number,
    threads: number,
    settings: AnnSettings,
    keep: RowTest | undefined,
  ): Scored[] {
    if (this.storage instanceof IvfIndex) return this.storage.search(query, k, threads, settings, keep);
    return keep ? this.storage.searchWhere(query, k, keep).hits : this.storage.search(query, k, threads);
  }

  /** Large enough for an index and without one, or grown 4x since its index was trained. */
  wantsIndex(threshold: number): boolean {
    if (this.changed) return false;
    if (this.storage instanceof IvfIndex) return this.storage.size >= 4 * this.storage.trainedRows;
    return this.storage.rows >= threshold;
  }

  /** Builds an index of the rows as they are now and swaps it in; `live()` false stops it (table replaced). */
  async buildIndex(nearest: NearestCentre, live: () => boolean): Promise<void> {
    const dims = this.dims;
    const storage = this.storage;
    this.changed = new Set();
    try {
      // The ids as they are now; a row written or removed later is in `changed` and replayed at the end.
      const ids = storage instanceof Block ? storage.ids.slice(0, storage.rows) : [...storage.ids()];
      const rows = ids.length;
      const lists = listCountFor(rows);
      const sampleRows = Math.min(rows, lists * samplePerList);
      const sample = new Float32Array(sampleRows * dims);
      // An even spread over the rows as stored.
      for (let i = 0; i < sampleRows; i++)
        storage.copyInto(ids[Math.floor((i * rows) / sampleRows)]!, sample, i * dims);
      const centres = await trainCentres(sample, dims, lists, nearest, seededRandom(rows));
      const index = new IvfIndex(centres, dims, rows, this.codes);
      for (let start = 0; start < rows; start += buildStepRows) {
        if (!live()) return;
        // Copied in one synchronous step, so each id's vector and facts belong together.
        const stepIds: string[] = [];
        const facts: RowFacts[] = [];
        const chunk = new Float32Array(Math.min(buildStepRows, rows - start) * dims);
        for (let r = start; r < Math.min(rows, start + buildStepRows); r++) {
          const id = ids[r]!;
          const known = this.storage.factsOf(id);
          if (!known || this.changed.has(id)) continue;
          this.storage.copyInto(id, chunk, stepIds.length * dims);
          stepIds.push(id);
          facts.push(known);
        }
        const assigned = await nearest.assign(chunk, stepIds.length, centres, dims);
        stepIds.forEach((id, i) =>
          index.put(id, chunk.subarray(i * dims, (i + 1) * dims), facts[i]!, assigned[i]),
        );
      }
      if (!live()) return;
      // Synchronous from here: replay what changed during the build, then swap.
      for (const id of this.changed) {
        const vector = this.storage.vector(id);
        const facts = this.storage.factsOf(id);
        if (vector && facts) index.put(id, vector, facts);
        else index.remove(id);
      }
      this.storage = index;
    } finally {
      this.changed = undefined;
    }
  }
}

/** mulberry32 seeded by the partition size: a build is reproducible for the same data. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The in-memory search side of the embedded store: unit vectors partitioned by tenant, source and channel,
 * so a scoped, filtered query reads only the partitions it may see. A partition below AnnSettings.threshold
 * is scanned exactly (recall 1); a larger one gets an inverted-file index built in the background (recall@10
 * >= 0.98 at the default settings, bench/scale-embedded.md), answering exactly until it is ready.
 */
export class VectorTable {
  private readonly tenants = new Map<string, Map<string, Partition>>();
  private readonly located = new Map<string, Partition>();
  private readonly nearest: NearestCentre;
  private readonly codes = new FactCodes();
  private building: Promise<void> | undefined;
  private closed = false;

  constructor(
    readonly dims: number,
    private readonly threads: number,
    private readonly ann: AnnSettings = defaultAnnSettings,
  ) {
    this.nearest = new NearestCentre(threads);
  }

  get size(): number {
    return this.located.size;
  }

  get partitionCount(): number {
    let n = 0;
    for (const partitions of this.tenants.values()) n += partitions.size;
    return n;
  }

  /** Partitions searched through an approximate index. */
  get indexedPartitions(): number {
    let n = 0;
    for (const partitions of this.tenants.values()) for (const p of partitions.values()) if (p.indexed) n++;
    return n;
  }

  get matrixBytes(): number {
    let bytes = 0;
    for (const partitions of this.tenants.values()) {
      for (const p of partitions.values()) {
        const blocks = p.storage instanceof IvfIndex ? p.storage.lists : [p.storage];
        for (const block of blocks) bytes += block.matrix.byteLength;
      }
    }
    return bytes;
  }

  /** Inserts or replaces; `vector` must be a unit vector of `dims` values. */
  put(id: string, place: Placement, vector: Float32Array, facts: RowFacts = {}): void {
    const at = this.located.get(id);
    if (at && !samePlace(at.place, place)) this.remove(id);
    const partition = at && samePlace(at.place, place) ? at : this.partitionFor(place);
    partition.put(id, vector, facts);
    this.located.set(id, partition);
  }

  remove(id: string): void {
    const partition = this.located.get(id);
    if (!partition) return;
    this.located.delete(id);
    partition.remove(id);
    if (partition.rows === 0) this.dropPartition(partition.place);
  }

  /** Sizes a partition for `rows` documents up front (a bulk load), so it never grows and copies. */
  reserve(place: Placement, rows: number): void {
    const storage = this.partitionFor(place).storage;
    if (storage instanceof Block && storage.matrix.length < rows * this.dims) storage.resize(rows);
  }

  /**
   * Starts building indexes for partitions that have grown past the threshold (one at a time, in the
   * background); call after writes. Searches stay exact on a partition until its index is swapped in.
   */
  maintain(): void {
    if (this.building || this.closed) return;
    let wanting: Partition | undefined;
    for (const partitions of this.tenants.values()) {
      for (const p of partitions.values()) if (!wanting && p.wantsIndex(this.ann.threshold)) wanting = p;
    }
    if (!wanting) return;
    this.building = wanting
      .buildIndex(this.nearest, () => !this.closed)
      .finally(() => {
        this.building = undefined;
        this.maintain();
      });
  }

  /** Resolves once no index build is running or due (benchmarks and tests wait for the approximate search). */
  async indexed(): Promise<void> {
    this.maintain();
    while (this.building) {
      await this.building;
    }
  }

  /** Stops background builds (the table is being replaced or the store closed). */
  async close(): Promise<void> {
    this.closed = true;
    await this.building?.catch(() => undefined);
    await this.nearest.close();
  }

  count(scope: TenantScope, filter: DocFilter | undefined): number {
    const keep = rowFilter(filter);
    return this.visible(scope, filter).reduce((n, p) => n + p.count(keep), 0);
  }

  /** Top-k over the rows the scope and filter allow, best first (ties by id, for stable order). */
  search(query: Float32Array, k: number, scope: TenantScope, filter: DocFilter | undefined): Scored[] {
    const keep = rowFilter(filter);
    const hits = this.visible(scope, filter).flatMap((p) => p.search(query, k, this.threads, this.ann, keep));
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return hits.slice(0, k);
  }

  /** Copies of the stored vectors of those `ids` the scope may see. */
  vectors(ids: string[], scope: TenantScope): Map<string, Float32Array> {
    const found = new Map<string, Float32Array>();
    for (const id of ids) {
      const partition = this.located.get(id);
      if (partition && inScope(partition.place, scope) && allows(partition.place, scope, undefined)) {
        const vector = partition.vector(id);
        if (vector) found.set(id, vector);
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
    if (!partition) partitions.set(key, (partition = new Partition(place, this.dims, this.codes)));
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
function rowFilter(filter: DocFilter | undefined): RowTest | undefined {
  if (!filter?.author_id && !filter?.format && !filter?.date) return undefined;
  return {
    ...(filter.author_id && { authors: filter.author_id }),
    ...(filter.format && { formats: filter.format }),
    ...(filter.date && { dates: filter.date }),
  };
}

function placeKey(place: Placement): string {
  return JSON.stringify([place.source, place.channel ?? null]);
}

function samePlace(a: Placement, b: Placement): boolean {
  return a.tenant === b.tenant && a.source === b.source && a.channel === b.channel;
}
