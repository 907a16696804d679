import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type {
  DocFilter,
  Hit,
  ImageDocument,
  AtSwap,
  ImageMeta,
  IndexSpec,
  KnnQuery,
  ModelSwitch,
  Reindex,
  SliceCount,
  StoreStats,
  TenantScope,
  TextQuery,
  TextUpdate,
  ThumbnailUpdate,
  UpsertFailure,
  UpsertResult,
  VectorStore,
} from '../types.js';
import { lookupWords, rankTextMatches } from '../text-match.js';
import { InputError, ServiceError } from '../../util/errors.js';
import { StoreDatabase, fromBlob, toRow, type DocRow, type Slice, type VectorRow } from './database.js';
import { modelMismatch } from '../model-stamp.js';
import { checkFilter, checkQuery, checkScope, documentProblem, thumbnailProblem } from '../validate.js';
import { VectorTable, type Placement, type RowFacts } from './vector-table.js';
import { defaultAnnSettings, type AnnSettings } from './ivf.js';

const service = 'embedded store';
const scanPageSize = 500;

/**
 * SQLite holds every document durably; a VectorTable mirrors the vectors in memory for exact search.
 * Each process keeps its mirror in step with the file: after its own writes, and before each read when
 * another process has committed since (PRAGMA data_version), it applies the changes after the last seq it saw.
 * Everything runs synchronously inside one call, so queries in this process see a write entirely or not at all.
 */
export class EmbeddedStore implements VectorStore {
  readonly backend = 'embedded' as const;
  private table: VectorTable | undefined;
  private seenSeq = 0;
  private seenVersion = -1;
  private closed = false;
  /** Writes run one at a time: a reindex commit holds the writer's transaction across event-loop turns. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: StoreDatabase,
    private readonly index: string,
    private readonly threads: number,
    ann: AnnSettings = defaultAnnSettings,
  ) {
    this.ann = { ...ann };
    this.catchUp();
  }

  /** Shared with the table, so `tuneAnn` reaches searches at once. */
  private readonly ann: AnnSettings;

  /** Changes how the approximate index searches (probes, filteredDepth), e.g. for a benchmark's sweep. */
  tuneAnn(settings: Partial<Pick<AnnSettings, 'probes' | 'filteredDepth'>>): void {
    Object.assign(this.ann, settings);
  }

  /** Resolves once the approximate indexes of large partitions are built (they build in the background). */
  async indexed(): Promise<void> {
    await this.table?.indexed();
  }

  async ensureIndex(spec: IndexSpec): Promise<void> {
    if (!Number.isInteger(spec.dims) || spec.dims < 1) {
      throw new InputError('dims', `must be a positive integer, got ${spec.dims}`);
    }
    if (typeof spec.modelId !== 'string' || spec.modelId === '') {
      throw new InputError('modelId', 'must not be empty');
    }
    return this.write('ensureIndex', () => {
      this.db.writing(() => {
        const { dims, model_id } = this.db.writerState();
        if (dims === null) this.db.setSpec(spec.dims, spec.modelId);
        else if (dims !== spec.dims || model_id !== spec.modelId) {
          throw modelMismatch(service, this.index, { dims, modelId: model_id ?? '?' }, spec);
        }
      });
      this.catchUp();
    });
  }

  async upsert(docs: ImageDocument[]): Promise<UpsertResult> {
    return this.write('upsert', () => {
      const { rows, failed } = this.prepare(docs);
      if (rows.length > 0) {
        this.db.writing(() => this.db.upsert(rows, this.db.nextSeq()));
        this.catchUp();
      }
      return { written: rows.length, failed };
    });
  }

  async delete(ids: string[]): Promise<void> {
    checkIds(ids);
    if (ids.length === 0) return;
    return this.write('delete', () => {
      this.db.writing(() => this.db.delete(ids, this.db.nextSeq()));
      this.catchUp();
    });
  }

  async knn(query: KnnQuery): Promise<Hit[]> {
    checkScope(query?.scope);
    return this.read('knn', () => {
      if (!this.table) return [];
      checkQuery(query, this.table.dims);
      const found = this.table
        .search(unitVector(query.vector), query.k, query.scope, query.filter)
        .filter((hit) => query.similarity === undefined || hit.score >= query.similarity);
      const metas = this.db.metas(found.map((hit) => hit.id));
      return found.flatMap((hit) => {
        const meta = metas.get(hit.id);
        return meta === undefined ? [] : [{ ...(JSON.parse(meta) as ImageMeta), score: hit.score }];
      });
    });
  }

  async findText(query: TextQuery): Promise<Hit[]> {
    checkScope(query?.scope);
    checkFilter(query.filter);
    const words = lookupWords(query.words);
    if (words.length === 0) return [];
    const candidates = await this.read('findText', () =>
      this.db.textCandidates(words, query.scope, query.filter),
    );
    return rankTextMatches(
      query,
      candidates.map((meta) => JSON.parse(meta) as ImageMeta),
      query.k,
    );
  }

  async setText(updates: TextUpdate[]): Promise<UpsertResult> {
    if (updates.length === 0) return { written: 0, failed: [] };
    return this.write('setText', () => {
      const written = this.db.writing(() => this.db.setText(updates));
      this.catchUp();
      return { written, failed: [] };
    });
  }

  async setThumbnails(updates: ThumbnailUpdate[]): Promise<UpsertResult> {
    const failed = updates.flatMap((u) => {
      const reason = thumbnailProblem(u);
      return reason ? [{ image_id: u.image_id, reason }] : [];
    });
    const good = updates.filter((u) => !failed.some((f) => f.image_id === u.image_id));
    if (good.length === 0) return { written: 0, failed };
    return this.write('setThumbnails', () => {
      const written = this.db.writing(() => this.db.setThumbnails(good));
      return { written, failed };
    });
  }

  async lackingThumbnails(ids: string[]): Promise<string[]> {
    checkIds(ids);
    if (ids.length === 0) return [];
    return this.read('lackingThumbnails', () => this.db.lackingThumbnails([...new Set(ids)]));
  }

  async getThumbnails(ids: string[], scope: TenantScope): Promise<Map<string, Buffer>> {
    checkIds(ids);
    checkScope(scope);
    if (ids.length === 0) return new Map();
    return this.read('getThumbnails', () => this.db.thumbnails([...new Set(ids)], scope));
  }

  async count(scope: TenantScope, filter?: DocFilter): Promise<number> {
    checkScope(scope);
    checkFilter(filter);
    return this.read('count', () => this.table?.count(scope, filter) ?? 0);
  }

  async stats(): Promise<StoreStats> {
    return this.read('stats', () => {
      const { dims, model_id } = this.db.state();
      return {
        backend: this.backend,
        index: this.index,
        ...(model_id !== null && { modelId: model_id }),
        ...(dims !== null && { dims }),
        count: this.table?.size ?? 0,
        details: {
          ...this.db.details(),
          partitions: this.table?.partitionCount ?? 0,
          indexedPartitions: this.table?.indexedPartitions ?? 0,
          vectorMemoryBytes: this.table?.matrixBytes ?? 0,
        },
      };
    });
  }

  async *scan(tenant: string, source: string): AsyncIterable<ImageMeta> {
    const slice = checkSlice({ tenant, source });
    let after = 0;
    for (;;) {
      const page = await this.read('scan', () => this.db.scanPage(slice, after, scanPageSize));
      for (const row of page) yield JSON.parse(row.meta) as ImageMeta;
      const last = page.at(-1);
      if (!last || page.length < scanPageSize) return;
      after = last.rowid;
    }
  }

  async get(ids: string[]): Promise<ImageMeta[]> {
    checkIds(ids);
    const unique = [...new Set(ids)];
    const metas = await this.read('get', () => this.db.metas(unique));
    return unique.flatMap((id) => {
      const meta = metas.get(id);
      return meta === undefined ? [] : [JSON.parse(meta) as ImageMeta];
    });
  }

  async getVectors(ids: string[], scope: TenantScope): Promise<Map<string, Float32Array>> {
    checkIds(ids);
    checkScope(scope);
    return this.read('getVectors', () => this.table?.vectors(ids, scope) ?? new Map<string, Float32Array>());
  }

  async beginReindex(slice: { tenant: string; source: string }): Promise<Reindex> {
    const checked = checkSlice(slice);
    const id = randomUUID();
    await this.write('beginReindex', async () => {
      this.spec();
      this.db.writing(() => this.db.beginReindex(id, checked));
      await this.db.purgeStaging(pause);
    });
    return { id, upsert: (docs) => this.stage(id, docs) };
  }

  async commitReindex(reindex: Reindex): Promise<void> {
    return this.write('commitReindex', async () => {
      // Queries keep running between the commit's steps and see the old data until it is swapped in below.
      if (!(await this.db.publishReindex(reindex.id, pause))) throw notOpen(reindex.id);
      this.catchUp();
      await pause();
      this.db.checkpoint();
      await this.db.purgeStaging(pause);
    });
  }

  async abortReindex(reindex: Reindex): Promise<void> {
    return this.write('abortReindex', async () => {
      this.db.writing(() => this.db.endReindex(reindex.id));
      await this.db.purgeStaging(pause);
    });
  }

  async slices(): Promise<SliceCount[]> {
    return this.read('slices', () => this.db.slices());
  }

  /**
   * The switch's index is a store file of its own beside the live one (`<index>.switch.sqlite`), so it can be
   * filled like any store and survives a stopped run; the live file is not touched until the commit.
   */
  async beginModelSwitch(spec: IndexSpec): Promise<ModelSwitch> {
    const live = await this.read('beginModelSwitch', () => this.spec());
    if (live.modelId === spec.modelId && live.dims === spec.dims) {
      throw new InputError('model', `index "${this.index}" already holds vectors of "${spec.modelId}"`);
    }
    const file = switchFile(this.db.file);
    let db = new StoreDatabase(file, 'NORMAL');
    const held = db.state();
    const resumed = held.model_id === spec.modelId && held.dims === spec.dims;
    if (!resumed && held.dims !== null) {
      // An unfinished switch to another model: it is of no use to this one.
      db.close();
      await removeStoreFile(file);
      db = new StoreDatabase(file, 'NORMAL');
    }
    const store = new EmbeddedStore(
      db,
      `${this.index} (switching to ${spec.modelId})`,
      this.threads,
      this.ann,
    );
    await store.ensureIndex(spec);
    return { id: file, spec, resumed, store };
  }

  async commitModelSwitch(change: ModelSwitch, atSwap?: AtSwap): Promise<void> {
    await change.store.close();
    if (change.id !== switchFile(this.db.file) || !existsSync(change.id)) {
      throw new ServiceError(service, `no model switch of index "${this.index}" is open at ${change.id}`);
    }
    await this.write('commitModelSwitch', async () => {
      // Queries keep reading the old documents until finish(true) commits the whole replacement.
      const finish = await this.db.prepareSwitch(change.id, pause);
      const swap = async () => {
        finish(true);
        this.catchUp();
      };
      try {
        await (atSwap ? atSwap(swap) : swap());
      } finally {
        finish(false); // undoes it unless the swap ran
      }
      await removeStoreFile(change.id);
      await pause();
      this.db.checkpoint();
      await this.db.purgeStaging(pause);
    });
  }

  async abortModelSwitch(change: ModelSwitch): Promise<void> {
    await change.store.close();
    await removeStoreFile(change.id);
  }

  /** Finishes the writes already asked for, then closes; later calls are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writes;
    await this.table?.close();
    this.table = undefined;
    this.db.close();
  }

  private async stage(id: string, docs: ImageDocument[]): Promise<UpsertResult> {
    return this.write('reindex upsert', () => {
      const { rows, failed } = this.prepare(docs);
      this.db.writing(() => {
        if (!this.db.reindexSlice(id)) throw notOpen(id);
        this.db.stage(id, rows);
      });
      return { written: rows.length, failed };
    });
  }

  /** Splits a batch into storable rows and per-document failures; one bad document never sinks the others. */
  private prepare(docs: ImageDocument[]): { rows: DocRow[]; failed: UpsertFailure[] } {
    if (!Array.isArray(docs)) throw new InputError('documents', 'must be a list');
    const spec = this.spec();
    const rows: DocRow[] = [];
    const failed: UpsertFailure[] = [];
    docs.forEach((doc, position) => {
      const problem = documentProblem(doc, spec);
      if (problem === undefined) {
        rows.push(toRow(doc, unitVector(doc.image_embedding)));
        return;
      }
      const id = (doc as Partial<ImageDocument> | null)?.image_id;
      failed.push(
        typeof id === 'string' && id !== ''
          ? { image_id: id, reason: problem }
          : { image_id: '', reason: `${problem} (item ${position} of the batch)` },
      );
    });
    return { rows, failed };
  }

  private spec(): IndexSpec {
    const { dims, model_id } = this.db.state();
    if (dims === null || model_id === null) {
      throw new ServiceError(service, `index "${this.index}" does not exist yet: call ensureIndex first`);
    }
    return { dims, modelId: model_id };
  }

  /** Applies what others committed since we last looked, then runs `work` on one snapshot. */
  private read<T>(operation: string, work: () => T): Promise<T> {
    return this.guard(operation, () =>
      this.db.reading(() => {
        if (this.db.dataVersion() !== this.seenVersion) this.catchUp();
        return work();
      }),
    );
  }

  private write<T>(operation: string, work: () => T | Promise<T>): Promise<T> {
    const result = this.guard(operation, () => this.writes.then(work));
    this.writes = result.catch(() => undefined);
    return result;
  }

  private catchUp(): void {
    this.db.reading(() => {
      this.seenVersion = this.db.dataVersion();
      const state = this.db.state();
      if (state.dims === null) return;
      if (!this.table || this.seenSeq < state.pruned_through || this.table.dims !== state.dims) {
        // First load, the tombstones we would need are gone, or another model's vectors replaced every
        // document (a model switch): rebuild, then swap in.
        const table = new VectorTable(state.dims, this.threads, this.ann);
        for (const p of this.db.placements()) table.reserve(placeOf(p), p.rows);
        mirror(table, this.db.allVectors());
        void this.table?.close();
        this.table = table;
      } else if (state.seq !== this.seenSeq) {
        for (const id of this.db.idsDeletedAfter(this.seenSeq)) this.table.remove(id);
        mirror(this.table, this.db.vectorsAfter(this.seenSeq));
      }
      this.seenSeq = state.seq;
      this.table.maintain();
    });
  }

  /** Refuses calls after close; turns unexpected failures into a ServiceError naming the file. */
  private async guard<T>(operation: string, work: () => T | Promise<T>): Promise<T> {
    if (this.closed) throw new ServiceError(service, `${operation}: the store is closed`);
    try {
      return await work();
    } catch (error) {
      if (error instanceof InputError || error instanceof ServiceError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ServiceError(service, `${operation} failed on ${this.db.file}: ${message}`, { cause: error });
    }
  }
}

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Where a model switch of the store in `file` builds its index. */
const switchFile = (file: string) => file.replace(/\.sqlite$/, '.switch.sqlite');

async function removeStoreFile(file: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true });
}

function mirror(table: VectorTable, rows: Iterable<VectorRow>): void {
  for (const row of rows) table.put(row.image_id, placeOf(row), fromBlob(row.embedding), factsOf(row));
}

/**
 * Always the same three keys in the same order (absent ones undefined): a row filter reads them on every row
 * of a partition, and objects of one shape read several times faster than the mixed shapes spreads make.
 */
function factsOf(row: VectorRow): RowFacts {
  return {
    author: row.author_id ?? undefined,
    format: row.format ?? undefined,
    date: row.date ?? undefined,
  };
}

function placeOf(row: { tenant: string; source: string; channel_id: string | null }): Placement {
  return { tenant: row.tenant, source: row.source, channel: row.channel_id ?? undefined };
}

/** A unit-length copy in its own buffer (the search reads buffers from byte 0). */
function unitVector(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += (vector[i] as number) ** 2;
  const scale = 1 / Math.sqrt(norm);
  const unit = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) unit[i] = (vector[i] as number) * scale;
  return unit;
}

function checkSlice(slice: { tenant: string; source: string }): Slice {
  checkScope({ tenant: slice?.tenant });
  if (typeof slice.source !== 'string' || slice.source === '') {
    throw new InputError('source', 'a non-empty source is required');
  }
  return { tenant: slice.tenant, source: slice.source };
}

function checkIds(ids: string[]): void {
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw new InputError('ids', 'must be a list of image ids');
  }
}

function notOpen(id: string): ServiceError {
  return new ServiceError(
    service,
    `reindex ${id} is not open: it was committed, aborted, or replaced by a newer reindex of the same slice`,
  );
}
