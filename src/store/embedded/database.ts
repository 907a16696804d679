import Database from 'better-sqlite3';
import { compact } from '../../ocr/words.js';
import type { DocFilter, ImageDocument, TenantScope, TextUpdate, ThumbnailUpdate } from '../types.js';

/** Bumped when the layout changes; a newer file is refused rather than misread. */
const schemaVersion = 3;

/** Tombstones older than this are pruned at open; a process that has not caught up since then reloads fully. */
const tombstoneRetentionMs = 24 * 60 * 60 * 1000;

/** Rows per step of a long write; between steps the event loop serves queries (~10 ms per step). */
const stepRows = 500;

/**
 * Every committed write carries the next value of `state.seq`. Rows touched by that write (docs upserted,
 * tombstones of docs removed) keep it, so a process catches up by reading what changed after the last seq it saw.
 * An image_id is never in `docs` and `tombstones` at once. Staging rows belong to an open reindex; rows whose
 * reindex is gone are garbage, purged in steps.
 */
const schema = `
CREATE TABLE state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  dims INTEGER,
  model_id TEXT,
  seq INTEGER NOT NULL,
  pruned_through INTEGER NOT NULL
);
INSERT INTO state (id, dims, model_id, seq, pruned_through) VALUES (1, NULL, NULL, 0, 0);
CREATE TABLE docs (
  image_id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  source TEXT NOT NULL,
  channel_id TEXT,
  meta TEXT NOT NULL,
  seq INTEGER NOT NULL,
  embedding BLOB NOT NULL
);
CREATE INDEX docs_slice ON docs (tenant, source);
CREATE INDEX docs_place ON docs (tenant, source, channel_id, seq);
CREATE INDEX docs_seq ON docs (seq);
CREATE TABLE tombstones (
  image_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  deleted_at INTEGER NOT NULL
);
CREATE INDEX tombstones_seq ON tombstones (seq);
CREATE TABLE reindexes (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  source TEXT NOT NULL,
  started_at TEXT NOT NULL
);
CREATE TABLE staging (
  reindex_id TEXT NOT NULL,
  image_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  source TEXT NOT NULL,
  channel_id TEXT,
  meta TEXT NOT NULL,
  embedding BLOB NOT NULL,
  UNIQUE (reindex_id, image_id)
);
`;

/**
 * Version 2: the text read from images, searchable through an FTS5 trigram index (any three letters in a row
 * match, inside run-together words and in scripts without spaces). Triggers keep it in step with `docs`, so
 * every path that writes documents (upserts, reindex commits, deletes) keeps it right. Its rowid is the
 * document's rowid; its body the words run together in search form (`search_form`, registered on the writer),
 * as OCR often runs them together anyway and Chinese has no spaces: a query word is a substring either way.
 */
const textSchema = `
CREATE VIRTUAL TABLE doc_text USING fts5(body, tokenize = 'trigram');
CREATE TRIGGER docs_text_insert AFTER INSERT ON docs
  WHEN coalesce(json_extract(new.meta, '$.text'), '') <> '' BEGIN
  INSERT INTO doc_text (rowid, body) VALUES (new.rowid, search_form(json_extract(new.meta, '$.text')));
END;
CREATE TRIGGER docs_text_update AFTER UPDATE OF meta ON docs BEGIN
  DELETE FROM doc_text WHERE rowid = old.rowid;
  INSERT INTO doc_text (rowid, body) SELECT new.rowid, search_form(json_extract(new.meta, '$.text'))
    WHERE coalesce(json_extract(new.meta, '$.text'), '') <> '';
END;
CREATE TRIGGER docs_text_delete AFTER DELETE ON docs BEGIN
  DELETE FROM doc_text WHERE rowid = old.rowid;
END;
`;

/**
 * Version 3: thumbnails for replies, in a table of their own so the rows the vector mirror reads stay small
 * and a document rewritten with the same content (new metadata, a reindex commit) keeps its thumbnail. A
 * thumbnail counts only while its sha256 is the document's; it goes when its document goes.
 */
const thumbnailSchema = `
CREATE TABLE thumbnails (
  image_id TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL,
  bytes BLOB NOT NULL
);
CREATE TRIGGER docs_thumbnail_delete AFTER DELETE ON docs BEGIN
  DELETE FROM thumbnails WHERE image_id = old.image_id;
END;
`;

/** What each schema version adds to the one before. */
const migrations = [schema, textSchema, thumbnailSchema];

/** Candidates a text search ranks (src/store/text-match.ts picks and orders the hits among them). */
const textCandidates = 300;

export interface StoreState {
  dims: number | null;
  model_id: string | null;
  seq: number;
  pruned_through: number;
}

/** What the in-memory mirror needs of a document: where it sits and its unit vector (little-endian float32). */
export interface VectorRow {
  image_id: string;
  tenant: string;
  source: string;
  channel_id: string | null;
  embedding: Buffer;
  /** What row-level filters test (from the metadata). */
  author_id: string | null;
  format: string | null;
  date: number | null;
}

export interface PlacementCount {
  tenant: string;
  source: string;
  channel_id: string | null;
  rows: number;
}

/** A document as stored: the mirror's columns plus the metadata as JSON. */
export interface DocRow extends Omit<VectorRow, 'author_id' | 'format' | 'date'> {
  meta: string;
}

export interface Slice {
  tenant: string;
  source: string;
}

export type Synchronous = 'NORMAL' | 'FULL';

export function toRow(doc: ImageDocument, unit: Float32Array): DocRow {
  const meta: Partial<ImageDocument> = { ...doc };
  delete meta.image_embedding;
  return {
    image_id: doc.image_id,
    tenant: doc.tenant,
    source: doc.source,
    channel_id: doc.channel_id ?? null,
    meta: JSON.stringify(meta),
    embedding: Buffer.from(unit.buffer, unit.byteOffset, unit.byteLength),
  };
}

/** A stored vector as floats: a view when the blob is 4-byte aligned (better-sqlite3's are), else a copy. */
export function fromBlob(blob: Buffer): Float32Array {
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  const vector = new Float32Array(blob.byteLength / 4);
  new Uint8Array(vector.buffer).set(blob);
  return vector;
}

const docColumns = 'image_id, tenant, source, channel_id, meta, seq, embedding';
const factColumns = `json_extract(meta, '$.author_id') AS author_id, json_extract(meta, '$.format') AS format,
  json_extract(meta, '$.date') AS date`;
const onConflictReplace = `ON CONFLICT (image_id) DO UPDATE SET tenant = excluded.tenant, source = excluded.source,
  channel_id = excluded.channel_id, meta = excluded.meta, seq = excluded.seq, embedding = excluded.embedding`;
const inList = '(SELECT value FROM json_each(?))';

/**
 * The durable side of the embedded store: one SQLite file in WAL mode, the source of truth.
 * Two connections: every write goes through `writer`, every read through `reader`. A long write (a reindex
 * commit) runs as one transaction in steps; meanwhile reads keep seeing the last committed snapshot.
 */
export class StoreDatabase {
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly sql;

  constructor(
    readonly file: string,
    synchronous: Synchronous,
  ) {
    this.writer = new Database(file);
    this.writer.function('search_form', { deterministic: true }, (text: unknown) =>
      compact(String(text ?? '')),
    );
    let reader: Database.Database | undefined;
    try {
      // Takes effect only when the file is new. A 2 KB vector plus metadata fits 3 to an 8 KB page
      // but only 1 to a 4 KB one: 270 MB instead of 400 MB at 100k x 512 (bench/embedded-store.md).
      this.writer.pragma('page_size = 8192');
      this.writer.pragma('journal_mode = WAL');
      this.writer.pragma(`synchronous = ${synchronous}`);
      // Writers from other processes wait their turn instead of failing at once.
      this.writer.pragma('busy_timeout = 30000');
      this.migrate();
      reader = new Database(file, { readonly: true });
      reader.pragma('busy_timeout = 30000');
    } catch (error) {
      this.writer.close();
      throw error;
    }
    this.reader = reader;
    const w = this.writer;
    const r = this.reader;
    this.sql = {
      // Reads.
      state: r.prepare<[], StoreState>('SELECT dims, model_id, seq, pruned_through FROM state'),
      metaByIds: r.prepare<[string], { image_id: string; meta: string }>(
        `SELECT image_id, meta FROM docs WHERE image_id IN ${inList}`,
      ),
      scanPage: r.prepare<[string, string, number, number], { rowid: number; meta: string }>(
        'SELECT rowid, meta FROM docs WHERE tenant = ? AND source = ? AND rowid > ? ORDER BY rowid LIMIT ?',
      ),
      placements: r.prepare<[], PlacementCount>(
        'SELECT tenant, source, channel_id, count(*) AS rows FROM docs GROUP BY tenant, source, channel_id',
      ),
      allVectors: r.prepare<[], VectorRow>(
        `SELECT image_id, tenant, source, channel_id, embedding, ${factColumns} FROM docs`,
      ),
      vectorsAfter: r.prepare<[number], VectorRow>(
        `SELECT image_id, tenant, source, channel_id, embedding, ${factColumns} FROM docs WHERE seq > ?`,
      ),
      tombstonesAfter: r.prepare<[number], { image_id: string }>(
        'SELECT image_id FROM tombstones WHERE seq > ?',
      ),
      openReindexes: r.prepare<[], number>('SELECT count(*) FROM reindexes').pluck(),
      lackingThumbnails: r
        .prepare<[string], string>(
          `SELECT d.image_id FROM docs d LEFT JOIN thumbnails t ON t.image_id = d.image_id
           WHERE d.image_id IN ${inList} AND (t.sha256 IS NULL OR t.sha256 <> json_extract(d.meta, '$.sha256'))`,
        )
        .pluck(),
      thumbnails: r.prepare<[ThumbnailLookup], { image_id: string; bytes: Buffer }>(
        `SELECT t.image_id, t.bytes FROM thumbnails t JOIN docs d ON d.image_id = t.image_id
         WHERE t.image_id IN (SELECT value FROM json_each(@ids))
           AND t.sha256 = json_extract(d.meta, '$.sha256') AND ${scopeClause}`,
      ),
      slices: r.prepare<[], { tenant: string; source: string; count: number }>(
        'SELECT tenant, source, count(*) AS count FROM docs GROUP BY tenant, source ORDER BY tenant, source',
      ),
      textMatches: r
        .prepare<[TextLookup], string>(
          `SELECT d.meta FROM doc_text JOIN docs d ON d.rowid = doc_text.rowid
         WHERE doc_text MATCH @match AND ${scopeClause} ORDER BY doc_text.rank LIMIT ${textCandidates}`,
        )
        .pluck(),
      textContaining: r
        .prepare<[TextLookup], string>(
          `SELECT d.meta FROM doc_text JOIN docs d ON d.rowid = doc_text.rowid
         WHERE EXISTS (SELECT 1 FROM json_each(@words) WHERE instr(doc_text.body, value) > 0)
           AND ${scopeClause} LIMIT ${textCandidates}`,
        )
        .pluck(),

      // Writes.
      writerState: w.prepare<[], StoreState>('SELECT dims, model_id, seq, pruned_through FROM state'),
      setSpec: w.prepare('UPDATE state SET dims = ?, model_id = ?'),
      nextSeq: w.prepare<[], number>('UPDATE state SET seq = seq + 1 RETURNING seq').pluck(),
      upsertDoc: w.prepare(`INSERT INTO docs (${docColumns})
        VALUES (@image_id, @tenant, @source, @channel_id, @meta, @seq, @embedding) ${onConflictReplace}`),
      forgetTombstone: w.prepare('DELETE FROM tombstones WHERE image_id = ?'),
      setText: w.prepare<[TextUpdate]>(`UPDATE docs SET meta = json_set(meta, '$.text', @text,
        '$.text_confidence', @text_confidence, '$.text_by', @text_by)
        WHERE image_id = @image_id AND json_extract(meta, '$.sha256') = @sha256`),
      setThumbnail: w.prepare<[ThumbnailUpdate]>(`INSERT INTO thumbnails (image_id, sha256, bytes)
        SELECT @image_id, @sha256, @bytes FROM docs
        WHERE image_id = @image_id AND json_extract(meta, '$.sha256') = @sha256
        ON CONFLICT (image_id) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes`),
      buryIds: w.prepare(`INSERT OR REPLACE INTO tombstones (image_id, seq, deleted_at)
        SELECT image_id, ?, ? FROM docs WHERE image_id IN ${inList}`),
      deleteIds: w.prepare(`DELETE FROM docs WHERE image_id IN ${inList}`),
      reindexSlice: w.prepare<[string], Slice>('SELECT tenant, source FROM reindexes WHERE id = ?'),
      reindexesOf: w
        .prepare<[string, string], string>('SELECT id FROM reindexes WHERE tenant = ? AND source = ?')
        .pluck(),
      addReindex: w.prepare('INSERT INTO reindexes (id, tenant, source, started_at) VALUES (?, ?, ?, ?)'),
      dropReindex: w.prepare('DELETE FROM reindexes WHERE id = ?'),
      stage:
        w.prepare(`INSERT INTO staging (reindex_id, image_id, tenant, source, channel_id, meta, embedding)
        VALUES (@reindex_id, @image_id, @tenant, @source, @channel_id, @meta, @embedding)
        ON CONFLICT (reindex_id, image_id) DO UPDATE SET tenant = excluded.tenant, source = excluded.source,
          channel_id = excluded.channel_id, meta = excluded.meta, embedding = excluded.embedding`),
      stagedRowids: w
        .prepare<[string], number>('SELECT rowid FROM staging WHERE reindex_id = ? ORDER BY rowid')
        .pluck(),
      publishStaged: w.prepare(`INSERT INTO docs (${docColumns})
        SELECT image_id, tenant, source, channel_id, meta, ?, embedding FROM staging WHERE rowid IN ${inList}
        ${onConflictReplace}`),
      unburyStaged: w.prepare(
        `DELETE FROM tombstones WHERE image_id IN (SELECT image_id FROM staging WHERE rowid IN ${inList})`,
      ),
      // Slice documents the commit did not rewrite (seq <> the commit's seq) are the ones to remove.
      staleRowids: w
        .prepare<[{ tenant: string; source: string; seq: number }], number>(
          'SELECT rowid FROM docs WHERE tenant = @tenant AND source = @source AND seq <> @seq',
        )
        .pluck(),
      buryRowids: w.prepare(`INSERT OR REPLACE INTO tombstones (image_id, seq, deleted_at)
        SELECT image_id, ?, ? FROM docs WHERE rowid IN ${inList}`),
      deleteRowids: w.prepare(`DELETE FROM docs WHERE rowid IN ${inList}`),
      purgeStaging: w.prepare(`DELETE FROM staging WHERE rowid IN (SELECT rowid FROM staging
        WHERE reindex_id NOT IN (SELECT id FROM reindexes) LIMIT ${stepRows})`),
      pruneTombstones: w.prepare(`UPDATE state SET pruned_through = max(pruned_through,
        coalesce((SELECT max(seq) FROM tombstones WHERE deleted_at < @before), 0))`),
      dropTombstones: w.prepare('DELETE FROM tombstones WHERE deleted_at < @before'),
      // A model switch drops every live document (the new ones come from another file: prepareSwitch).
      dropDocs: w.prepare(`DELETE FROM docs WHERE rowid IN (SELECT rowid FROM docs LIMIT ${stepRows})`),
      dropAllReindexes: w.prepare('DELETE FROM reindexes'),
      // Every process holding an older seq reloads its mirror in full (the dims may have changed).
      pruneAll: w.prepare('UPDATE state SET pruned_through = seq'),
      dropAllTombstones: w.prepare('DELETE FROM tombstones'),
    };
    this.writing(() => {
      const before = Date.now() - tombstoneRetentionMs;
      this.sql.pruneTombstones.run({ before });
      this.sql.dropTombstones.run({ before });
    });
  }

  // ---- reads (reader connection) ----

  /** Changes whenever another connection (any process, or our writer) commits. */
  dataVersion(): number {
    return this.reader.pragma('data_version', { simple: true }) as number;
  }

  /** Runs `work` in one snapshot: nothing committed meanwhile is seen halfway. */
  reading<T>(work: () => T): T {
    return this.reader.transaction(work).deferred();
  }

  state(): StoreState {
    return this.sql.state.get() as StoreState;
  }

  metas(ids: string[]): Map<string, string> {
    const rows = this.sql.metaByIds.all(JSON.stringify(ids));
    return new Map(rows.map((r) => [r.image_id, r.meta]));
  }

  scanPage(slice: Slice, afterRowid: number, limit: number): { rowid: number; meta: string }[] {
    return this.sql.scanPage.all(slice.tenant, slice.source, afterRowid, limit);
  }

  /**
   * Documents in scope whose text holds any of the lookup words or, for fuzzy matches, their trigrams; best
   * first by FTS5's rank. Words shorter than three letters cannot use the trigram index and are looked for
   * by scanning the text.
   */
  textCandidates(words: string[], scope: TenantScope, filter: DocFilter | undefined): string[] {
    const long = words.filter((w) => [...w].length >= 3);
    const lookup: TextLookup = {
      match: ftsQuery(long),
      words: JSON.stringify(words),
      tenants: JSON.stringify(scope.includeShared ? [scope.tenant, '*'] : [scope.tenant]),
      visible: scope.visibleChannels ? JSON.stringify(scope.visibleChannels) : null,
      sources: filter?.source ? JSON.stringify(filter.source) : null,
      channels: filter?.channel_id ? JSON.stringify(filter.channel_id) : null,
    };
    return long.length > 0 ? this.sql.textMatches.all(lookup) : this.sql.textContaining.all(lookup);
  }

  /** How many documents share each (tenant, source, channel): lets the mirror size its matrices once. */
  placements(): PlacementCount[] {
    return this.sql.placements.all();
  }

  allVectors(): IterableIterator<VectorRow> {
    return this.sql.allVectors.iterate();
  }

  vectorsAfter(seq: number): IterableIterator<VectorRow> {
    return this.sql.vectorsAfter.iterate(seq);
  }

  idsDeletedAfter(seq: number): string[] {
    return this.sql.tombstonesAfter.all(seq).map((r) => r.image_id);
  }

  /** Every (tenant, source) with its document count. */
  slices(): { tenant: string; source: string; count: number }[] {
    return this.sql.slices.all();
  }

  /** Facts for stats(): sizes on disk and the settings in force. */
  details(): Record<string, unknown> {
    const pageCount = this.reader.pragma('page_count', { simple: true }) as number;
    const pageSize = this.reader.pragma('page_size', { simple: true }) as number;
    return {
      file: this.file,
      fileBytes: pageCount * pageSize,
      journalMode: this.writer.pragma('journal_mode', { simple: true }),
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][
        this.writer.pragma('synchronous', { simple: true }) as number
      ],
      openReindexes: this.sql.openReindexes.get(),
    };
  }

  // ---- writes (writer connection; the caller runs one at a time) ----

  /** Runs `work` holding the write lock from the start, so `nextSeq` values follow commit order. */
  writing<T>(work: () => T): T {
    return this.writer.transaction(work).immediate();
  }

  /** The state as the writer sees it, inside its transaction. */
  writerState(): StoreState {
    return this.sql.writerState.get() as StoreState;
  }

  setSpec(dims: number, modelId: string): void {
    this.sql.setSpec.run(dims, modelId);
  }

  nextSeq(): number {
    return this.sql.nextSeq.get() as number;
  }

  upsert(rows: DocRow[], seq: number): void {
    for (const row of rows) {
      this.sql.upsertDoc.run({ ...row, seq });
      this.sql.forgetTombstone.run(row.image_id);
    }
  }

  /** Writes text into documents that still hold the content it was read from; returns how many did. */
  setText(updates: TextUpdate[]): number {
    let written = 0;
    for (const update of updates) written += this.sql.setText.run(update).changes;
    return written;
  }

  /** Writes thumbnails of documents that still hold the content they were made from; returns how many. */
  setThumbnails(updates: ThumbnailUpdate[]): number {
    let written = 0;
    for (const update of updates) written += this.sql.setThumbnail.run(update).changes;
    return written;
  }

  lackingThumbnails(ids: string[]): string[] {
    return this.sql.lackingThumbnails.all(JSON.stringify(ids));
  }

  thumbnails(ids: string[], scope: TenantScope): Map<string, Buffer> {
    const rows = this.sql.thumbnails.all({
      ids: JSON.stringify(ids),
      tenants: JSON.stringify(scope.includeShared ? [scope.tenant, '*'] : [scope.tenant]),
      visible: scope.visibleChannels ? JSON.stringify(scope.visibleChannels) : null,
      sources: null,
      channels: null,
    });
    return new Map(rows.map((r) => [r.image_id, r.bytes]));
  }

  delete(ids: string[], seq: number): void {
    const list = JSON.stringify(ids);
    this.sql.buryIds.run(seq, Date.now(), list);
    this.sql.deleteIds.run(list);
  }

  /** Registers a rebuild of `slice`; an unfinished earlier rebuild of the same slice is dropped. */
  beginReindex(id: string, slice: Slice): void {
    for (const old of this.sql.reindexesOf.all(slice.tenant, slice.source)) this.sql.dropReindex.run(old);
    this.sql.addReindex.run(id, slice.tenant, slice.source, new Date().toISOString());
  }

  reindexSlice(id: string): Slice | undefined {
    return this.sql.reindexSlice.get(id);
  }

  stage(id: string, rows: DocRow[]): void {
    for (const row of rows) this.sql.stage.run({ ...row, reindex_id: id });
  }

  endReindex(id: string): void {
    this.sql.dropReindex.run(id);
  }

  /**
   * Replaces the live slice with the staged documents in ONE transaction, run in steps with `pause()`
   * between them. Staged documents overwrite their live versions in place (a rebuild mostly re-finds the
   * same images), then whatever the rebuild did not write is removed. False when the reindex is not open.
   */
  async publishReindex(id: string, pause: () => Promise<void>): Promise<boolean> {
    this.writer.exec('BEGIN IMMEDIATE');
    try {
      const slice = this.reindexSlice(id);
      if (!slice) {
        this.writer.exec('ROLLBACK');
        return false;
      }
      const seq = this.nextSeq();
      for (const step of steps(this.sql.stagedRowids.all(id))) {
        this.sql.publishStaged.run(seq, step);
        this.sql.unburyStaged.run(step);
        await pause();
      }
      const now = Date.now();
      for (const step of steps(this.sql.staleRowids.all({ ...slice, seq }))) {
        this.sql.buryRowids.run(seq, now, step);
        this.sql.deleteRowids.run(step);
        await pause();
      }
      this.endReindex(id);
      // The commit's large WAL is copied back by checkpoint() as a separate step, not inside COMMIT.
      this.writer.pragma('wal_autocheckpoint = 0');
      try {
        this.writer.exec('COMMIT');
      } finally {
        this.writer.pragma('wal_autocheckpoint = 1000');
      }
      return true;
    } catch (error) {
      if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Replaces every document with those of another store file (a model switch's) and takes its model and dims, in
   * ONE transaction run in steps: queries keep reading the old documents meanwhile. Returns the step that
   * commits it (and undoes it when called with `false`): the caller decides the moment of the swap.
   */
  async prepareSwitch(file: string, pause: () => Promise<void>): Promise<(commit: boolean) => void> {
    this.writer.prepare('ATTACH DATABASE ? AS incoming').run(file);
    let attached = true;
    const finish = (commit: boolean) => {
      if (!attached) return;
      attached = false;
      try {
        if (commit) this.writer.exec('COMMIT');
      } finally {
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        this.writer.pragma('wal_autocheckpoint = 1000');
        this.writer.exec('DETACH DATABASE incoming');
      }
    };
    try {
      this.writer.exec('BEGIN IMMEDIATE');
      const w = this.writer;
      const spec = w.prepare<[], StoreState>('SELECT dims, model_id FROM incoming.state').get();
      if (!spec || spec.dims === null || spec.model_id === null) throw new Error(`${file} holds no index`);
      while (this.sql.dropDocs.run().changes > 0) await pause();
      const seq = this.nextSeq();
      const rowids = w.prepare<[], number>('SELECT rowid FROM incoming.docs ORDER BY rowid').pluck().all();
      const publish = w.prepare(`INSERT INTO docs (${docColumns})
        SELECT image_id, tenant, source, channel_id, meta, ?, embedding FROM incoming.docs WHERE rowid IN ${inList}`);
      for (const step of steps(rowids)) {
        publish.run(seq, step);
        await pause();
      }
      this.setSpec(spec.dims, spec.model_id);
      this.sql.pruneAll.run();
      this.sql.dropAllTombstones.run();
      // Unfinished rebuilds of single slices hold the old model's vectors: they can no longer be committed.
      this.sql.dropAllReindexes.run();
      this.writer.pragma('wal_autocheckpoint = 0');
      return finish;
    } catch (error) {
      finish(false);
      throw error;
    }
  }

  /** Copies the WAL back into the database file (what SQLite otherwise does after a large commit). */
  checkpoint(): void {
    this.writer.pragma('wal_checkpoint(PASSIVE)');
  }

  /** Deletes staging rows of finished reindexes, a step per transaction. */
  async purgeStaging(pause: () => Promise<void>): Promise<void> {
    while (this.sql.purgeStaging.run().changes > 0) await pause();
  }

  close(): void {
    this.reader.close();
    this.writer.close();
  }

  private migrate(): void {
    const version = this.writer.pragma('user_version', { simple: true }) as number;
    if (version > schemaVersion) {
      throw new Error(
        `${this.file} was written by a newer lookalike (schema ${version}, this one reads ${schemaVersion})`,
      );
    }
    if (version === schemaVersion) return;
    this.writing(() => {
      // Another process may have migrated it while we waited for the lock.
      const current = this.writer.pragma('user_version', { simple: true }) as number;
      for (const step of migrations.slice(current)) this.writer.exec(step);
      this.writer.pragma(`user_version = ${schemaVersion}`);
    });
  }
}

interface ThumbnailLookup {
  ids: string;
  tenants: string;
  visible: string | null;
  sources: null;
  channels: null;
}

interface TextLookup {
  match: string;
  words: string;
  tenants: string;
  visible: string | null;
  sources: string | null;
  channels: string | null;
}

/** The scope of every text search, as the vector mirror applies it to kNN (store/types.ts TenantScope). */
const scopeClause = `d.tenant IN (SELECT value FROM json_each(@tenants))
  AND (@visible IS NULL OR d.channel_id IS NULL OR d.channel_id IN (SELECT value FROM json_each(@visible)))
  AND (@sources IS NULL OR d.source IN (SELECT value FROM json_each(@sources)))
  AND (@channels IS NULL OR d.channel_id IN (SELECT value FROM json_each(@channels)))`;

/**
 * An FTS5 trigram query: each word as a substring, OR each trigram of the longer words, so that a word OCR
 * misread by a letter still brings its image in as a candidate. Words hold only letters and digits (wordsOf),
 * so quoting them is safe.
 */
function ftsQuery(words: string[]): string {
  const terms = new Set<string>();
  for (const word of words) {
    terms.add(word);
    const chars = [...word];
    if (chars.length >= 5)
      for (let i = 0; i + 3 <= chars.length; i++) terms.add(chars.slice(i, i + 3).join(''));
  }
  return [...terms].map((t) => `"${t}"`).join(' OR ');
}

/** Splits row ids into JSON lists of `stepRows`, for `IN (SELECT value FROM json_each(?))`. */
function* steps(rowids: number[]): Generator<string> {
  for (let i = 0; i < rowids.length; i += stepRows) yield JSON.stringify(rowids.slice(i, i + stepRows));
}
