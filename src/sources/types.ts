/** One image a source can hand to the indexer. */
export interface SourceItem {
  /** Stable within the source: relative path, URL, or `<message id>/<attachment id>`. */
  key: string;
  tenant: string;
  name: string;
  relativePath?: string;
  url?: string;
  permalink?: string;
  channelId?: string;
  authorId?: string;
  postedAt?: string;
  /** Known without reading the content (files): lets incremental runs skip unchanged items cheaply. */
  size?: number;
  mtime?: number;
  bytes(): Promise<Buffer>;
}

export interface ImageSource {
  /** Stored as the documents' `source`, e.g. `folder:/photos`. */
  readonly id: string;
  readonly tenant: string;
  items(): AsyncIterable<SourceItem>;
}
