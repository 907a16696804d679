import type { ImageFacts } from '../sources/image-facts.js';
import type { SourceItem } from '../sources/types.js';
import type { ImageMeta } from '../store/types.js';

/** One key (path, URL) of the source, as it takes part in this run. */
export interface Member {
  key: string;
  /** imageId(source, key): the id its document has when it is its content's primary. */
  id: string;
  /** In this run's shard. */
  mine: boolean;
  /** Absent for keys kept only from the index (keepMissing). */
  item?: SourceItem;
  /**
   * Kept at its last indexed content: it could not be read or decoded this run, or it disappeared and
   * keepMissing is set. Such a member never brings new content.
   */
  pinned: boolean;
  /** Its own stored document, when it holds the group's content (what a pinned primary keeps). */
  ownDoc?: ImageMeta;
  /** Content length and modification time (ms), as the source reported them or as read. */
  size?: number;
  mtime?: number;
  /** Content hash it had in the index before this run, and the document that held it. */
  previousSha?: string;
  heldIn?: string;
}

/** Every key with one content (sha256): indexed once, as one document with the others in other_paths. */
export interface Group {
  sha: string;
  members: Member[];
  /** The member whose bytes are embedded; none when a stored vector is reused. */
  claim?: Member;
  /** Why this content cannot be embedded; its members then keep their previous state. */
  failed?: string;
  width?: number;
  height?: number;
  /** What the content's bytes say (format, capture time), as read this run or stored before. */
  facts?: ImageFacts;
  /** The document as written in this run. */
  written?: ImageMeta;
  /** Its vector from this run, kept while the group may still gain members or its write waits for the end. */
  vector?: Float32Array;
}

/** Members grouped by content; a key is in at most one group. */
export class Membership {
  readonly groups = new Map<string, Group>();
  private readonly groupOfKey = new Map<string, Group>();

  group(sha: string): Group {
    let group = this.groups.get(sha);
    if (!group) {
      group = { sha, members: [] };
      this.groups.set(sha, group);
    }
    return group;
  }

  add(member: Member, sha: string): Group {
    this.remove(member);
    const group = this.group(sha);
    group.members.push(member);
    this.groupOfKey.set(member.key, group);
    return group;
  }

  remove(member: Member): void {
    const group = this.groupOfKey.get(member.key);
    if (!group) return;
    group.members = group.members.filter((m) => m !== member);
    this.groupOfKey.delete(member.key);
  }

  groupOf(member: Member): Group | undefined {
    return this.groupOfKey.get(member.key);
  }
}

/** A member can give its key to the document: it brings this content now, or keeps its own document of it. */
const eligible = (group: Group, member: Member) => !member.pinned || member.ownDoc?.sha256 === group.sha;

/** The member whose key names the group's document: the smallest eligible key (so every run agrees). */
export function primaryOf(group: Group): Member | undefined {
  let primary: Member | undefined;
  for (const member of group.members) {
    if (eligible(group, member) && (!primary || member.key < primary.key)) primary = member;
  }
  return primary;
}

export interface DocumentContext {
  source: string;
  tenant: string;
  modelId: string;
  indexedAt: string;
}

/** The document the group should have (without its vector), or undefined when it has no eligible member. */
export function desiredDocument(group: Group, context: DocumentContext): ImageMeta | undefined {
  const primary = primaryOf(group);
  if (!primary) return undefined;
  const others = group.members
    .filter((m) => m !== primary)
    .map((m) => m.key)
    .sort();
  const otherPaths = others.length > 0 ? { other_paths: others } : {};
  if (primary.pinned && primary.ownDoc) {
    const kept: ImageMeta = { ...primary.ownDoc };
    delete kept.other_paths;
    return { ...kept, ...otherPaths };
  }
  const item = primary.item as SourceItem;
  return {
    image_id: primary.id,
    image_name: item.name,
    source: context.source,
    tenant: context.tenant,
    ...defined({
      relative_path: item.relativePath,
      url: item.url,
      permalink: item.permalink,
      channel_id: item.channelId,
      author_id: item.authorId,
      posted_at: item.postedAt,
    }),
    ...otherPaths,
    sha256: group.sha,
    width: group.width ?? 0,
    height: group.height ?? 0,
    bytes: primary.size ?? 0,
    ...(primary.mtime !== undefined && { mtime: primary.mtime }),
    ...(group.facts?.format && { format: group.facts.format }),
    ...dateOf(group.facts?.takenAt, item.postedAt, primary.mtime),
    indexed_at: context.indexedAt,
    model_id: context.modelId,
  };
}

/** The date people mean by "when": taken (EXIF), else posted in chat, else the file's last change. */
function dateOf(
  takenAt: number | undefined,
  postedAt: string | undefined,
  mtime: number | undefined,
): Pick<ImageMeta, 'date' | 'date_kind'> {
  if (takenAt !== undefined) return { date: takenAt, date_kind: 'taken' };
  const posted = postedAt === undefined ? NaN : Date.parse(postedAt);
  if (Number.isFinite(posted)) return { date: posted, date_kind: 'posted' };
  if (mtime !== undefined) return { date: mtime, date_kind: 'modified' };
  return {};
}

function defined<T extends Record<string, string | undefined>>(fields: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<
    Record<keyof T, string>
  >;
}

const comparedFields = [
  'image_id', 'image_name', 'source', 'tenant', 'relative_path', 'url', 'permalink', 'channel_id',
  'author_id', 'posted_at', 'sha256', 'width', 'height', 'bytes', 'mtime', 'model_id', 'format', 'date',
  'date_kind',
] as const satisfies readonly (keyof ImageMeta)[]; // prettier-ignore

/** Whether two documents say the same thing (the time they were indexed aside). */
export function sameDocument(a: ImageMeta, b: ImageMeta): boolean {
  if (!comparedFields.every((field) => a[field] === b[field])) return false;
  const pathsA = a.other_paths ?? [];
  const pathsB = b.other_paths ?? [];
  return pathsA.length === pathsB.length && pathsA.every((p, i) => p === pathsB[i]);
}
