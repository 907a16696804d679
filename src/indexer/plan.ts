import type { SourceItem } from '../sources/types.js';
import { imageId } from '../store/ids.js';
import type { Member } from './membership.js';
import { shardOf, type Shard } from './shard.js';
import type { StoredSlice } from './stored.js';

/** A listed key this run looks at, in key order; `knownSha` when size and mtime match its document. */
export interface Work {
  member: Member;
  knownSha?: string;
}

export interface Plan {
  work: Work[];
  /** Keys gone from the source but kept at their indexed content (keepMissing). */
  kept: { member: Member; sha: string }[];
  /** Stored documents kept untouched: gone from the source, keepMissing, own key not recoverable. */
  untouchable: Set<string>;
  /** Listed keys of this shard: the run's progress total. */
  total: number;
  /** Sizes shared by several keys this run looks at: a group of such a size may gain members later. */
  sharedSizes: Set<number>;
}

export interface PlanOptions {
  source: string;
  shard: Shard;
  full: boolean;
  keepMissing: boolean;
}

/**
 * Decides what the run looks at. Sharded runs partition keys by id; exact duplicates have equal sizes, so
 * a shard also reads the other shards' keys whose size matches one of its own, and sees whole groups.
 */
export function planRun(items: SourceItem[], stored: StoredSlice, options: PlanOptions): Plan {
  const mine = (id: string) => shardOf(id, options.shard.count) === options.shard.index;
  const listed = uniqueByKey(items);
  const listedKeys = new Set(listed.map((item) => item.key));

  const candidates: { member: Member; sizes: number[]; knownSha?: string }[] = listed.map((item) => {
    const id = imageId(options.source, item.key);
    const ownDoc = stored.docs.get(id);
    const holder = stored.holders.get(item.key);
    const unchanged =
      !options.full &&
      ownDoc !== undefined &&
      item.size !== undefined &&
      item.mtime !== undefined &&
      ownDoc.bytes === item.size &&
      ownDoc.mtime === item.mtime &&
      // Indexed before dates and formats were recorded: read once more (the vector is reused, not remade).
      ownDoc.date_kind !== undefined;
    const member: Member = {
      key: item.key,
      id,
      mine: mine(id),
      item,
      pinned: false,
      size: item.size,
      mtime: item.mtime,
      previousSha: holder?.sha256,
      heldIn: holder?.image_id,
      ...(holder?.image_id === id && { ownDoc: holder }),
    };
    return {
      member,
      sizes: [item.size, holder?.bytes].filter((s): s is number => s !== undefined),
      ...(unchanged && { knownSha: ownDoc.sha256 }),
    };
  });

  const kept: { member: Member; sha: string; sizes: number[] }[] = [];
  const untouchable = new Set<string>();
  if (options.keepMissing) {
    for (const [key, holder] of stored.holders) {
      if (listedKeys.has(key)) continue;
      const id = imageId(options.source, key);
      const member: Member = {
        key,
        id,
        mine: mine(id),
        pinned: true,
        previousSha: holder.sha256,
        heldIn: holder.image_id,
        ...(holder.image_id === id && { ownDoc: holder }),
      };
      kept.push({ member, sha: holder.sha256, sizes: [holder.bytes] });
    }
    for (const id of stored.docs.keys()) if (!stored.keys.has(id)) untouchable.add(id);
  }

  const mineSizes = new Set<number>();
  for (const c of [...candidates, ...kept]) if (c.member.mine) c.sizes.forEach((s) => mineSizes.add(s));
  const relevant = (c: { member: Member; sizes: number[] }) =>
    c.member.mine || c.sizes.some((s) => mineSizes.has(s));
  const relevantCandidates = candidates.filter(relevant);
  const relevantKept = kept.filter(relevant);

  // Sizes at least two relevant keys have (now or before this run): only such groups can grow after being written.
  const seen = new Set<number>();
  const sharedSizes = new Set<number>();
  for (const c of [...relevantCandidates, ...relevantKept]) {
    for (const size of new Set(c.sizes)) {
      if (seen.has(size)) sharedSizes.add(size);
      seen.add(size);
    }
  }
  return {
    work: relevantCandidates.map(({ member, knownSha }) =>
      knownSha === undefined ? { member } : { member, knownSha },
    ),
    kept: relevantKept.map(({ member, sha }) => ({ member, sha })),
    untouchable,
    total: candidates.filter((c) => c.member.mine).length,
    sharedSizes,
  };
}

/** Sorted by key, each key once: the order every run and every shard processes keys in. */
function uniqueByKey(items: SourceItem[]): SourceItem[] {
  const byKey = new Map<string, SourceItem>();
  for (const item of items) if (!byKey.has(item.key)) byKey.set(item.key, item);
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
