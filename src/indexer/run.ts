import type { PreparedImage } from '../model/types.js';
import type { ImageDocument, ImageMeta, ThumbnailUpdate, UpsertResult } from '../store/types.js';
import type { InputError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { SkippedInput } from '../sources/image-type.js';
import { Membership, desiredDocument, type DocumentContext, type Group, type Member } from './membership.js';
import type { Embedded, PipelineSteps, ReadOutcome } from './pipeline.js';
import type { Plan, Work } from './plan.js';
import type { ProgressTracker } from './progress.js';
import type { StoredSlice } from './stored.js';
import type { IndexFailure } from './types.js';

/** Where documents go: the live index, or a rebuild staged behind it (full runs). */
export interface WriteTarget {
  upsert(docs: ImageDocument[]): Promise<UpsertResult>;
}

export interface RunSettings {
  context: DocumentContext;
  full: boolean;
  /** Absent in a dry run. */
  target?: WriteTarget;
  isMine(id: string): boolean;
  /** Stores thumbnails of documents written to the live index; absent when nothing is live yet (dry, full). */
  storeThumbnails?: (updates: ThumbnailUpdate[]) => Promise<void>;
  logger?: Logger;
}

/**
 * The state of one indexing run and every decision it takes as keys are read: which content each key has,
 * which key's bytes get embedded, which inputs failed or were skipped, and what the target holds now.
 */
export class IndexRun implements PipelineSteps {
  readonly membership = new Membership();
  readonly failures = new Map<string, string>();
  readonly skipped: IndexFailure[] = [];
  /** What the target holds for this slice, as far as this run knows (written documents included). */
  readonly current: Map<string, ImageMeta>;
  /** Documents written in this run (a search-based read may not see them yet). */
  readonly writtenIds = new Set<string>();
  /** Documents written with the empty text of a photo OCR's cheap test passed over in the pipeline. */
  textPassedOver = 0;

  constructor(
    readonly stored: StoredSlice,
    private readonly plan: Plan,
    private readonly settings: RunSettings,
    private readonly progress: ProgressTracker,
  ) {
    this.current = settings.full ? new Map() : new Map(stored.docs);
    for (const { member, sha } of plan.kept) this.join(member, sha);
  }

  known(work: Work): void {
    this.join(work.member, work.knownSha as string);
    this.settle(work.member);
  }

  read(work: Work, outcome: ReadOutcome): 'embed' | 'decode' | undefined {
    const { member } = work;
    if (!outcome.ok) {
      if (outcome.error instanceof SkippedInput) {
        this.membership.remove(member);
        if (member.mine) this.skipped.push({ input: member.key, reason: oneLine(outcome.error.reason) });
      } else this.fail(member, outcome.error.reason);
      this.settle(member);
      return undefined;
    }
    member.size ??= outcome.bytes.length;
    const group = this.join(member, outcome.sha);
    group.facts ??= outcome.facts;
    const wanted = this.claims(group, member);
    if (!wanted) this.settle(member);
    return wanted;
  }

  undecodable(work: Work, error: InputError): void {
    const group = this.membership.groupOf(work.member) as Group;
    group.failed = error.reason;
    for (const member of [...group.members]) if (!member.pinned) this.fail(member, error.reason);
    this.settle(work.member);
  }

  decodable(work: Work, image: PreparedImage): void {
    const group = this.membership.groupOf(work.member) as Group;
    group.width = image.width;
    group.height = image.height;
    this.settle(work.member);
  }

  documents(batch: Embedded[]): ImageDocument[] {
    const documents: ImageDocument[] = [];
    for (const { work, image, vector, text } of batch) {
      const group = this.membership.groupOf(work.member) as Group;
      group.width = image.width;
      group.height = image.height;
      const desired = desiredDocument(group, this.settings.context) as ImageMeta;
      // Text known already (a photo OCR's cheap test passed over) is written with the document it belongs to.
      const doc = text && desired.sha256 === group.sha ? { ...desired, ...text } : desired;
      if (this.replacesHeldKeys(doc)) {
        // Written at the end, after the documents that take over the keys it holds now.
        group.vector = vector;
        this.settle(work.member);
        continue;
      }
      group.written = doc;
      if (this.mayGrow(work.member)) group.vector = vector;
      documents.push({ ...doc, image_embedding: vector });
      if (doc.text_by !== undefined) this.textPassedOver++;
    }
    return documents;
  }

  /**
   * Whether writing this document replaces one of other content that also holds other keys. Those keys may
   * have to keep that content (they failed this run), and a run killed before their new document is written
   * must still find what they had.
   */
  replacesHeldKeys(doc: ImageMeta): boolean {
    const current = this.current.get(doc.image_id);
    return current !== undefined && current.sha256 !== doc.sha256 && (current.other_paths?.length ?? 0) > 0;
  }

  async thumbnails(updates: ThumbnailUpdate[]): Promise<void> {
    if (updates.length > 0) await this.settings.storeThumbnails?.(updates);
  }

  async write(documents: ImageDocument[]): Promise<void> {
    const groups = documents.map((doc) => this.groupOfDocument(doc));
    await this.upsert(documents);
    for (const group of groups) if (group?.claim) this.settle(group.claim);
  }

  /** Writes documents to the target, records what it now holds, and reports every document it refused. */
  async upsert(documents: ImageDocument[]): Promise<UpsertResult> {
    if (documents.length === 0) return { written: 0, failed: [] };
    const target = this.settings.target as WriteTarget;
    const result = await target.upsert(documents);
    this.settings.logger?.debug(`wrote ${result.written} documents`, {
      source: this.settings.context.source,
    });
    const refused = new Map(result.failed.map((f) => [f.image_id, f.reason]));
    for (const doc of documents) {
      const reason = refused.get(doc.image_id);
      const group = this.groupOfDocument(doc);
      if (reason === undefined) {
        const meta: Partial<ImageDocument> = { ...doc };
        delete meta.image_embedding;
        this.current.set(doc.image_id, meta as ImageMeta);
        this.writtenIds.add(doc.image_id);
        continue;
      }
      if (group?.written?.image_id === doc.image_id) group.written = undefined;
      for (const member of group?.members ?? []) {
        if (member.mine && !member.pinned)
          this.failures.set(member.key, `the store refused its document: ${reason}`);
      }
    }
    return result;
  }

  /**
   * Live documents whose stored vector is this group's content: they held it before the run and this run
   * did not overwrite them (a full run writes to a rebuild, so the live index keeps its pre-run state).
   */
  vectorSources(group: Group): string[] {
    return (this.stored.bySha.get(group.sha) ?? [])
      .map((doc) => doc.image_id)
      .filter(
        (id) =>
          this.settings.full || (this.current.get(id)?.sha256 === group.sha && !this.writtenIds.has(id)),
      );
  }

  /** The group a document was made for (by its sha and id). */
  groupOfDocument(doc: ImageMeta): Group | undefined {
    const group = this.membership.groups.get(doc.sha256);
    return group?.members.some((m) => m.id === doc.image_id) ? group : undefined;
  }

  /**
   * Whether this key's bytes must be embedded for its group (its first key is), or only decoded: a content
   * whose first key belongs to another shard is embedded there, but every shard that reads it must know
   * whether it decodes (its keys then keep their previous state), so that all shards agree.
   */
  private claims(group: Group, member: Member): 'embed' | 'decode' | undefined {
    if (group.failed !== undefined) {
      this.fail(member, group.failed);
      return undefined;
    }
    if (group.claim) return undefined;
    if (!this.settings.full && this.vectorSources(group).length > 0) return undefined; // a stored vector is reused
    group.claim = member;
    return member.mine ? 'embed' : 'decode';
  }

  /** Adds a member to its content's group; sizes come from a stored document of that content when there is one. */
  private join(member: Member, sha: string): Group {
    const group = this.membership.add(member, sha);
    const stored = this.stored.bySha.get(sha)?.[0];
    if (stored && group.width === undefined) {
      group.width = stored.width;
      group.height = stored.height;
    }
    if (stored?.date_kind !== undefined && group.facts === undefined) {
      group.facts = {
        ...(stored.format && { format: stored.format }),
        ...(stored.date_kind === 'taken' && { takenAt: stored.date }),
      };
    }
    return group;
  }

  /** A failed input keeps what the index had for it: it stays in the group of its previous content. */
  private fail(member: Member, reason: string): void {
    if (member.mine) this.failures.set(member.key, oneLine(reason));
    member.pinned = true;
    if (member.previousSha === undefined) this.membership.remove(member);
    else this.join(member, member.previousSha);
  }

  /** A group can gain members after its document is written only if another key may share its content. */
  private mayGrow(member: Member): boolean {
    const size = member.item?.size;
    return size === undefined || this.plan.sharedSizes.has(size);
  }

  private settle(member: Member): void {
    if (member.mine) this.progress.settle({ failed: this.failures.has(member.key) });
  }
}

/** Decoder messages can repeat one line several times: each distinct line once, on one line. */
function oneLine(reason: string): string {
  const lines = reason.split('\n').map((line) => line.trim());
  return [...new Set(lines.filter(Boolean))].join('; ');
}
