/** One indexed image. `image_id` is stable: a hash of source + path, or of message + attachment id. */
export interface ImageDocument {
  image_id: string;
  image_name: string;
  /** Where the image came from, e.g. `folder:/photos`, `urls:/lists/a.txt`, `discord:<channel id>`. */
  source: string;
  /** Guild / workspace id, or `*` for shared folders visible to every tenant that allows shared results. */
  tenant: string;
  relative_path?: string;
  /** Further paths holding byte-identical copies (exact duplicates are indexed once). */
  other_paths?: string[];
  channel_id?: string;
  url?: string;
  permalink?: string;
  author_id?: string;
  posted_at?: string;
  sha256: string;
  width: number;
  height: number;
  bytes: number;
  /** Modification time in ms since the epoch (files) — used for incremental runs. */
  mtime?: number;
  /** The image's format as its bytes say (jpeg, png, gif, webp, ...), for `type:` filters. */
  format?: string;
  /** The date people mean (ms since the epoch): when it was taken, else posted, else the file last changed. */
  date?: number;
  /** Which of those `date` is, so a reply can say so. */
  date_kind?: DateKind;
  indexed_at: string;
  model_id: string;
  /** Words read in the image by OCR, line by line ('' when it shows none); absent until it was read. */
  text?: string;
  /** Mean confidence of the recognised characters, 0..1. */
  text_confidence?: number;
  /** Which OCR read `text` (e.g. `pp-ocrv4`): an image whose text is absent or by another OCR is read again. */
  text_by?: string;
  image_embedding: Float32Array;
}

/** Everything but the vector: what search results and incremental scans return. */
export type ImageMeta = Omit<ImageDocument, 'image_embedding'>;

/** Who is asking. There is no way to query without one: the store refuses an empty tenant. */
export interface TenantScope {
  tenant: string;
  /** Include documents of tenant `*` (shared folders). Default false. */
  includeShared?: boolean;
  /** When set, only documents with no channel_id or a channel_id in this list (chat visibility). */
  visibleChannels?: string[];
}

export type DateKind = 'taken' | 'posted' | 'modified';

/** Narrows a search inside the store (never after it): every listed criterion must hold. */
export interface DocFilter {
  source?: string[];
  channel_id?: string[];
  author_id?: string[];
  format?: string[];
  /** `date` within [from, until) (ms since the epoch); documents without a date never match. */
  date?: { from?: number; until?: number };
}

export interface KnnQuery {
  vector: Float32Array;
  k: number;
  /** Candidates examined per shard (Elasticsearch) — accuracy/speed knob; ignored by exact backends. */
  numCandidates?: number;
  scope: TenantScope;
  filter?: DocFilter;
  /** Minimum similarity (cosine) a hit must reach. */
  similarity?: number;
}

export interface Hit extends ImageMeta {
  /** Cosine similarity in [-1, 1] (text matches: how well the words matched, see src/store/text-match.ts). */
  score: number;
  /** The image's words that matched a text query, as they were read. */
  matched?: string[];
}

/** Words to find in the text read from images. */
export interface TextQuery {
  words: string;
  /** The words must appear together, in this order (a quoted phrase). */
  phrase: boolean;
  k: number;
  scope: TenantScope;
  filter?: DocFilter;
}

/** Text read from one image, written beside its vector without touching it. */
export interface TextUpdate {
  image_id: string;
  /** The content the text was read from: a document holding other content by now is left alone. */
  sha256: string;
  text: string;
  text_confidence: number;
  text_by: string;
}

/** A small preview of one image, made at index time (src/indexer/thumbnails.ts), for replies. */
export interface ThumbnailUpdate {
  image_id: string;
  /** The content it was made from: a document holding other content by now is left alone. */
  sha256: string;
  bytes: Buffer;
}

export interface UpsertFailure {
  image_id: string;
  reason: string;
}

export interface UpsertResult {
  written: number;
  failed: UpsertFailure[];
}

export interface IndexSpec {
  dims: number;
  modelId: string;
}

export interface StoreStats {
  backend: 'elasticsearch' | 'embedded';
  index: string;
  modelId?: string;
  dims?: number;
  count: number;
  /** Backend-specific details (server version, file size, leftover indices of crashed rebuilds, ...). */
  details: Record<string, unknown>;
}

/** A full rebuild of one (tenant, source) slice into a fresh index, made visible atomically by commit. */
export interface Reindex {
  readonly id: string;
  upsert(docs: ImageDocument[]): Promise<UpsertResult>;
}

/** How many documents one (tenant, source) slice holds. */
export interface SliceCount {
  tenant: string;
  source: string;
  count: number;
}

/**
 * A model switch under way: a new index stamped with another model (its own dims), built behind the live one,
 * which keeps answering with the old model until the commit swaps both at once.
 */
export interface ModelSwitch {
  /** The new index (Elasticsearch) or file (embedded). */
  readonly id: string;
  readonly spec: IndexSpec;
  /** Begun again on an unfinished switch to the same model: what it holds was kept. */
  readonly resumed: boolean;
  /**
   * The new index as a store of its own: index runs fill it slice by slice, incrementally, so a switch that
   * stopped and is begun again resumes where it was. Commit and abort close it.
   */
  readonly store: VectorStore;
}

/** Runs the atomic step of a commit; the caller can change what it holds (its model) in the same moment. */
export type AtSwap = (swap: () => Promise<void>) => Promise<void>;

export interface VectorStore {
  readonly backend: 'elasticsearch' | 'embedded';
  /** Creates the index if missing; refuses (clear error) when it exists with other dims or another model. */
  ensureIndex(spec: IndexSpec): Promise<void>;
  upsert(docs: ImageDocument[]): Promise<UpsertResult>;
  delete(ids: string[]): Promise<void>;
  knn(query: KnnQuery): Promise<Hit[]>;
  /**
   * Images whose read text matches the words, best first, scoped exactly like knn. Both backends rank the
   * candidates they find with src/store/text-match.ts, so they agree on what matches and in which order.
   */
  findText(query: TextQuery): Promise<Hit[]>;
  /** Stores text read from images; `written` counts the documents that still held that content. */
  setText(updates: TextUpdate[]): Promise<UpsertResult>;
  /**
   * Stores thumbnails beside documents that still hold the content they were made from (`written` counts
   * those). A document rewritten later keeps its thumbnail only while its content stays the same; normal
   * reads (knn, findText, scan, get) never carry thumbnails.
   */
  setThumbnails(updates: ThumbnailUpdate[]): Promise<UpsertResult>;
  /** The given documents that exist but hold no thumbnail of their current content. */
  lackingThumbnails(ids: string[]): Promise<string[]>;
  /** Thumbnails of the given documents visible in `scope`; documents without one are absent from the map. */
  getThumbnails(ids: string[], scope: TenantScope): Promise<Map<string, Buffer>>;
  count(scope: TenantScope, filter?: DocFilter): Promise<number>;
  stats(): Promise<StoreStats>;
  /**
   * Metadata of every document of one tenant and source, for incremental indexing. Sees every write and
   * delete this store instance finished before the call (Elasticsearch refreshes first when it wrote).
   */
  scan(tenant: string, source: string): AsyncIterable<ImageMeta>;
  get(ids: string[]): Promise<ImageMeta[]>;
  /**
   * Stored vectors of the given documents that are visible in `scope` (for "similar to this result"), as
   * written. Like scan, sees this store instance's finished writes.
   */
  getVectors(ids: string[], scope: TenantScope): Promise<Map<string, Float32Array>>;
  /**
   * Starts a rebuild: a new index holding everything except (tenant, source), which the caller refills.
   * Replaces an unfinished rebuild of the same slice (whose commit then fails); rebuilds of other slices
   * left unfinished by a crash are removed once they are clearly abandoned (Elasticsearch: after 48 h).
   */
  beginReindex(slice: { tenant: string; source: string }): Promise<Reindex>;
  /**
   * Swaps the new index in atomically (Elasticsearch merges it to one segment first, for search speed);
   * the old one is dropped only after the swap.
   */
  commitReindex(reindex: Reindex): Promise<void>;
  abortReindex(reindex: Reindex): Promise<void>;
  /** Every (tenant, source) slice the index holds, with its size (none before the index exists). */
  slices(): Promise<SliceCount[]>;
  /**
   * Starts a model switch: a new, empty index stamped with `spec`, which must differ from the live index's
   * model. An unfinished switch to the same model is resumed; one to another model is dropped. A switch cannot
   * copy any vectors of the old model: the caller refills every slice.
   */
  beginModelSwitch(spec: IndexSpec): Promise<ModelSwitch>;
  /**
   * Makes the switch's index the live one in one atomic step, after any slow preparation (Elasticsearch's merge,
   * the embedded store's copy), so searches answer from the old index until that step and from the new one
   * after it. `atSwap`, when given, runs that step. The old model's vectors are dropped afterwards.
   */
  commitModelSwitch(change: ModelSwitch, atSwap?: AtSwap): Promise<void>;
  /** Drops a switch's index; the live one is untouched. */
  abortModelSwitch(change: ModelSwitch): Promise<void>;
  close(): Promise<void>;
}
