import type { Embedder } from '../model/types.js';
import type { ImageSource } from '../sources/types.js';
import type { AtSwap, SliceCount, TextUpdate, VectorStore } from '../store/types.js';
import { InputError } from '../util/errors.js';
import { indexSource, type IndexSourceOptions } from './index-source.js';
import type { SourceDescriptor, SourceRegistry } from './source-registry.js';
import type { IndexReport } from './types.js';

/** One slice of the index and how to read its source again. */
export interface SwitchTarget {
  tenant: string;
  /** The source id (`folder:/photos`, `discord:<channel>`, ...). */
  source: string;
  open(): Promise<ImageSource>;
}

export type ModelSwitchOptions = Omit<
  IndexSourceOptions,
  'source' | 'full' | 'dryRun' | 'shard' | 'reader'
> & {
  /** The new model: what the index holds after the switch. */
  embedder: Embedder;
  /** Every slice of the index must be among them: a switch cannot keep any vector of the old model. */
  targets: SwitchTarget[];
  /** Runs the moment of the swap (a bot swaps its own model in the same step). */
  atSwap?: AtSwap;
  /** Called with each source's report as it finishes. */
  onSourceDone?: (report: IndexReport) => void;
};

export interface ModelSwitchReport {
  from: string;
  to: string;
  /** An unfinished switch to the same model was continued. */
  resumed: boolean;
  reports: IndexReport[];
}

const textBatch = 200;

/**
 * The registered folders and URL lists (of every tenant), `first` ahead of them: what a process without chat
 * connections can rebuild. Chat channels are read by their platform, so only a bot connected to it can.
 */
export async function registeredTargets(
  registry: SourceRegistry,
  first: SourceDescriptor[] = [],
): Promise<{ descriptor: SourceDescriptor; target: SwitchTarget }[]> {
  const key = (d: SourceDescriptor) => `${d.tenant}\n${d.id}`;
  const firstKeys = new Set(first.map(key));
  const others = (await registry.list()).filter((e) => e.kind !== 'chat' && !firstKeys.has(key(e)));
  return [...first, ...others].map((descriptor) => ({
    descriptor,
    target: { tenant: descriptor.tenant, source: descriptor.id, open: () => registry.open(descriptor) },
  }));
}

/**
 * Switches the index to another model with no downtime: every source is indexed again with the new model into
 * a new index behind the live one (searches keep using the old index, with the old model), then the store swaps
 * the new index in atomically. Each source is indexed incrementally into the new index, so a switch that
 * stopped (killed, a source unreachable) and is run again continues where it was, and the live index is never
 * touched until the swap. Text read from images is carried over, not read again.
 */
export async function switchModel(options: ModelSwitchOptions): Promise<ModelSwitchReport> {
  const { store, embedder, targets } = options;
  const live = await store.stats();
  if (live.modelId === undefined) {
    throw new InputError(
      'model switch',
      `index "${live.index}" does not exist yet: index with the new model directly`,
    );
  }
  if (live.modelId === embedder.modelId) {
    throw new InputError(
      'model switch',
      `index "${live.index}" already holds vectors of "${embedder.modelId}"`,
    );
  }
  refuseUncovered(await store.slices(), targets, live.index);
  const change = await store.beginModelSwitch({ dims: embedder.dims, modelId: embedder.modelId });
  const reports: IndexReport[] = [];
  try {
    for (const target of targets) {
      options.signal?.throwIfAborted();
      const report = await indexSource({ ...options, source: await target.open(), store: change.store });
      await carryTexts(store, change.store, target);
      reports.push(report);
      options.onSourceDone?.(report);
    }
    // A slice that appeared meanwhile (a channel added, a folder indexed) would be lost by the swap.
    refuseUncovered(await store.slices(), targets, live.index);
    options.signal?.throwIfAborted();
  } catch (error) {
    // The new index stays for the next run to continue; the live one was never touched.
    await change.store.close().catch(() => undefined);
    throw error;
  }
  await store.commitModelSwitch(change, options.atSwap);
  return { from: live.modelId, to: embedder.modelId, resumed: change.resumed, reports };
}

/** Refuses, before anything is written, a switch that would leave slices behind. */
function refuseUncovered(slices: SliceCount[], targets: SwitchTarget[], index: string): void {
  const covered = new Set(targets.map((t) => `${t.tenant}\n${t.source}`));
  const missing = slices.filter((s) => !covered.has(`${s.tenant}\n${s.source}`));
  if (missing.length === 0) return;
  const named = missing.map((s) => `${s.source} (tenant ${s.tenant}, ${s.count} images)`).join(', ');
  throw new InputError(
    'model switch',
    `index "${index}" also holds ${named}, which this switch cannot index again; a switch keeps no vector of ` +
      'the old model, so it must rebuild every source: run it where each of them can be read (chat channels: ' +
      '`/reindex full` in the bot), or remove them first. Nothing was changed.',
  );
}

/** Text read from an image does not depend on the model: copy it from the live index where the content is the same. */
async function carryTexts(from: VectorStore, to: VectorStore, slice: SwitchTarget): Promise<void> {
  let batch: TextUpdate[] = [];
  const flush = async () => {
    if (batch.length > 0) await to.setText(batch);
    batch = [];
  };
  for await (const doc of from.scan(slice.tenant, slice.source)) {
    if (doc.text === undefined || doc.text_by === undefined) continue;
    batch.push({
      image_id: doc.image_id,
      sha256: doc.sha256,
      text: doc.text,
      text_confidence: doc.text_confidence ?? 0,
      text_by: doc.text_by,
    });
    if (batch.length >= textBatch) await flush();
  }
  await flush();
}
