import type { Client, estypes } from '@elastic/elasticsearch';
import { isNotFound, toServiceError } from './errors.js';
import type { IndexSpec } from '../types.js';
import { deleteIndex } from './indices.js';
import { specFromMapping } from './mapping.js';

export interface Slice {
  tenant: string;
  source: string;
}

/**
 * The alias a rebuild's index carries from its creation until its commit, which removes it in the same atomic
 * `_aliases` call that makes the index live. Its presence is what marks an unfinished rebuild; writing through
 * it (require_alias) means a write can never auto-create an index that a cleanup has just deleted.
 */
export const rebuildAlias = (index: string) => `${index}-rebuilding`;

/** The mapping of a rebuild's index: the live one's, plus which slice it refills and when it began. */
export function rebuildMapping(
  mapping: estypes.MappingTypeMapping,
  slice: Slice,
  began: Date,
): estypes.MappingTypeMapping {
  const lookalike = mapping._meta?.lookalike as Record<string, unknown>;
  const rebuild = { tenant: slice.tenant, source: slice.source, began_at: began.toISOString() };
  return { ...mapping, _meta: { ...mapping._meta, lookalike: { ...lookalike, rebuild } } };
}

/** The mapping of a model switch's index: a new model's (`mapping`), marked as a switch and when it began. */
export function switchMapping(mapping: estypes.MappingTypeMapping, began: Date): estypes.MappingTypeMapping {
  const lookalike = mapping._meta?.lookalike as Record<string, unknown>;
  const rebuild = { model_switch: true, began_at: began.toISOString() };
  return { ...mapping, _meta: { ...mapping._meta, lookalike: { ...lookalike, rebuild } } };
}

/** An index of this alias that nothing reads. */
export interface LeftoverIndex {
  index: string;
  /**
   * `unfinished rebuild`: begun, never committed nor aborted (a crash, or still running in another process).
   * `unused`: neither live nor a rebuild, e.g. an old index whose drop after a swap was interrupted.
   */
  state: 'unfinished rebuild' | 'unused';
  tenant?: string;
  source?: string;
  /** A model switch's index, with the model it is stamped with (every slice is refilled). */
  switchTo?: IndexSpec;
  /** When the rebuild began, else when the index was created (ms since the epoch; NaN when unknown). */
  sinceMs: number;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The indices named `<alias>-<timestamp>`, created by lookalike, that the alias does not point at. */
export async function listLeftovers(client: Client, alias: string, target: string): Promise<LeftoverIndex[]> {
  let found: estypes.IndicesGetResponse;
  try {
    found = await client.indices.get({
      index: `${alias}-*`,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
  } catch (err) {
    throw toServiceError(err, `list the indices of "${alias}"`, target);
  }
  // Exactly this alias's names: "photos-*" must not reach the indices of an alias "photos-old".
  const ours = new RegExp(`^${escapeRegExp(alias)}-\\d{8}-\\d{6}-\\d{3}$`);
  return Object.entries(found).flatMap(([index, state]): LeftoverIndex[] => {
    if (!ours.test(index) || !specFromMapping(state.mappings)) return [];
    const aliases = Object.keys(state.aliases ?? {});
    if (aliases.includes(alias)) return [];
    const rebuild = state.mappings?._meta?.lookalike?.rebuild as Partial<
      Slice & { began_at: string; model_switch: boolean }
    >;
    const created = Number(state.settings?.index?.creation_date);
    const began = Date.parse(rebuild?.began_at ?? '');
    return [
      {
        index,
        state: aliases.includes(rebuildAlias(index)) ? 'unfinished rebuild' : 'unused',
        ...(rebuild?.tenant !== undefined && { tenant: rebuild.tenant }),
        ...(rebuild?.source !== undefined && { source: rebuild.source }),
        ...(rebuild?.model_switch === true && { switchTo: specFromMapping(state.mappings) }),
        sinceMs: Number.isNaN(began) ? created : began,
      },
    ];
  });
}

/**
 * Deletes the unfinished rebuilds no process can still be writing: those of `slice` (a new rebuild of a slice
 * replaces an unfinished one) and those begun more than `abandonAfterMs` ago. Each is first claimed by
 * removing its rebuild alias (must_exist): that fails, and the index is left alone, when its owner committed
 * it (or another cleanup claimed it) in the meantime; once claimed, it can no longer be committed.
 * Returns the names deleted.
 */
export async function removeAbandoned(
  client: Client,
  leftovers: LeftoverIndex[],
  slice: Slice,
  abandonAfterMs: number,
  target: string,
  now = Date.now(),
): Promise<string[]> {
  const removed: string[] = [];
  for (const leftover of leftovers) {
    if (leftover.state !== 'unfinished rebuild') continue;
    const sameSlice = leftover.tenant === slice.tenant && leftover.source === slice.source;
    if (!sameSlice && !(now - leftover.sinceMs > abandonAfterMs)) continue;
    if (await claimAndDelete(client, leftover.index, target)) removed.push(leftover.index);
  }
  return removed;
}

/**
 * Deletes an unfinished rebuild after claiming it (removing its rebuild alias, must_exist); false, leaving it
 * alone, when its owner committed it or another cleanup claimed it first.
 */
export async function claimAndDelete(client: Client, index: string, target: string): Promise<boolean> {
  try {
    await client.indices.updateAliases({
      actions: [{ remove: { index, alias: rebuildAlias(index), must_exist: true } }],
    });
  } catch (err) {
    if (isNotFound(err)) return false;
    throw toServiceError(err, `claim the unfinished rebuild "${index}"`, target);
  }
  await deleteIndex(client, index, target);
  return true;
}
