import { imageId } from '../store/ids.js';
import type { ImageDocument, ImageMeta, VectorStore } from '../store/types.js';
import { desiredDocument, sameDocument, type Group } from './membership.js';
import type { Plan } from './plan.js';
import type { IndexRun, RunSettings } from './run.js';

/** A document this shard must (re)write. */
export interface Fix {
  doc: ImageMeta;
  /** The content group it is made for; absent for a stored document copied as it is. */
  group?: Group;
}

export interface Outcome {
  /** Every document id the slice should hold (all shards). */
  desired: Set<string>;
  fixes: Fix[];
}

/**
 * Compares what each content group should look like (its smallest key names it, the other keys go to
 * other_paths) with what the target holds, and lists the documents to write. Pure: nothing is written here.
 */
export function plannedFixes(run: IndexRun, plan: Plan, settings: RunSettings): Outcome {
  const desired = new Set<string>();
  const fixes: Fix[] = [];
  for (const group of run.membership.groups.values()) {
    const doc = desiredDocument(group, settings.context);
    if (!doc) continue;
    desired.add(doc.image_id);
    if (!settings.isMine(doc.image_id) && !keepsKeysOfMine(group, doc, settings)) continue;
    const current = run.current.get(doc.image_id);
    if (current && sameDocument(current, doc)) continue;
    fixes.push({ doc, group });
  }
  // Documents that replace one of other content go last: the keys that one holds are safe elsewhere by then.
  fixes.sort((a, b) => Number(replacesContent(run, a)) - Number(replacesContent(run, b)));
  for (const id of plan.untouchable) {
    desired.add(id);
    // A full rebuild starts from an empty slice: documents kept untouched are copied into it.
    const doc = run.stored.docs.get(id) as ImageMeta;
    if (settings.full && settings.isMine(id)) fixes.push({ doc });
  }
  return { desired, fixes };
}

export interface ApplyOptions {
  run: IndexRun;
  /** Reads stored vectors (the live index). */
  store: VectorStore;
  tenant: string;
  batchSize: number;
  /** Embeds the group's content again from a readable key, when no stored vector can be found. */
  embedAgain(group: Group): Promise<Float32Array | undefined>;
}

/**
 * Writes the fixes in batches, each with a vector from memory, from a stored copy of the same content, or
 * embedded again. Returns the ids of documents that must not be deleted because their group could not be
 * rewritten (their keys are then reported as failed).
 */
export async function applyFixes(fixes: Fix[], options: ApplyOptions): Promise<Set<string>> {
  const { run } = options;
  const keep = new Set<string>();
  for (let start = 0; start < fixes.length; start += options.batchSize) {
    const batch = fixes.slice(start, start + options.batchSize);
    const sources = new Map(batch.map((fix) => [fix, vectorSources(run, fix)]));
    const wanted = [...new Set([...sources.values()].flat())];
    const stored =
      wanted.length > 0 ? await options.store.getVectors(wanted, { tenant: options.tenant }) : new Map();
    const docs: ImageDocument[] = [];
    for (const fix of batch) {
      const vector =
        memoryVector(fix) ??
        (sources.get(fix) ?? []).map((id) => stored.get(id)).find((v) => v !== undefined) ??
        (fix.group ? await options.embedAgain(fix.group) : undefined);
      if (vector) {
        docs.push({ ...fix.doc, image_embedding: vector });
        continue;
      }
      for (const member of fix.group?.members ?? []) {
        keep.add(member.id);
        if (member.mine && !member.pinned) {
          run.failures.set(
            member.key,
            'its document could not be rewritten: no stored vector and no readable copy',
          );
        }
      }
      keep.add(fix.doc.image_id);
    }
    if (docs.length > 0) await run.upsert(docs);
  }
  return keep;
}

/** Documents of this shard the target holds that no group wants any more (and that are not to be kept). */
export function staleDocuments(
  run: IndexRun,
  plan: Plan,
  settings: RunSettings,
  desired: Set<string>,
  keep: Set<string>,
) {
  return [...run.current.keys()].filter(
    (id) => settings.isMine(id) && !desired.has(id) && !keep.has(id) && !plan.untouchable.has(id),
  );
}

/** Keys of this shard that were in the index before the run and are in none of its documents after it. */
export function removedKeys(
  run: IndexRun,
  settings: RunSettings,
  desired: Set<string>,
  keep: Set<string>,
): number {
  const { stored } = run;
  const before = new Set<string>();
  for (const doc of stored.docs.values()) {
    const own = stored.keys.get(doc.image_id);
    if (settings.isMine(doc.image_id)) before.add(own ?? `#${doc.image_id}`);
    for (const key of doc.other_paths ?? []) {
      if (settings.isMine(imageId(settings.context.source, key))) before.add(key);
    }
  }
  const after = new Set<string>();
  for (const group of run.membership.groups.values()) {
    const doc = desiredDocument(group, settings.context);
    if (doc && (desired.has(doc.image_id) || keep.has(doc.image_id)))
      group.members.forEach((m) => after.add(m.key));
  }
  for (const id of [...desired, ...keep]) after.add(stored.keys.get(id) ?? `#${id}`);
  return [...before].filter((key) => !after.has(key)).length;
}

const memoryVector = (fix: Fix) => fix.group?.vector;

/**
 * Another shard's document that this shard writes too (the same, deterministically): it takes over keys
 * that keep their previous content from a document of this shard, which may be replaced or deleted next.
 */
const keepsKeysOfMine = (group: Group, doc: ImageMeta, settings: RunSettings) =>
  group.members.some(
    (m) => m.pinned && m.heldIn !== undefined && m.heldIn !== doc.image_id && settings.isMine(m.heldIn),
  );

const replacesContent = (run: IndexRun, fix: Fix) => {
  const current = run.current.get(fix.doc.image_id);
  return current !== undefined && current.sha256 !== fix.doc.sha256;
};

/** Where a fix's vector can be read: a live copy of its content, or (a copied document) itself. */
const vectorSources = (run: IndexRun, fix: Fix) =>
  memoryVector(fix) ? [] : fix.group ? run.vectorSources(fix.group) : [fix.doc.image_id];
