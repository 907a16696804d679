import { catalog } from '../model/catalog.js';
import { ServiceError } from '../util/errors.js';
import type { IndexSpec } from './types.js';

/** The LOOKALIKE_MODEL setting that gives `modelId` (`<cache folder>@<precision>`), when a catalog model does. */
function settingFor(modelId: string): string | undefined {
  const [folder, precision] = modelId.split('+')[0]?.split('@') ?? [];
  const model = catalog.find((m) => m.folder === folder && !modelId.includes('+') === !m.textEncoder);
  if (!model) return undefined;
  return `LOOKALIKE_MODEL=${model.name}${precision && precision !== 'fp32' ? ` LOOKALIKE_PRECISION=${precision}` : ''}`;
}

/**
 * An index is stamped with the model (and so the dims) that made its vectors, and never mixes two: the refusal
 * names both models and says the two ways out (the model that built it, or a switch: src/indexer/switch-model.ts).
 */
export function modelMismatch(
  backend: string,
  index: string,
  stored: IndexSpec,
  wanted: IndexSpec,
): ServiceError {
  const back = settingFor(stored.modelId);
  return new ServiceError(
    backend,
    `index "${index}" holds vectors of model "${stored.modelId}" (${stored.dims} dims), but this run uses model ` +
      `"${wanted.modelId}" (${wanted.dims} dims); an index never mixes models. To search it, run with the model ` +
      `that built it${back ? ` (${back})` : ''}; to move it to "${wanted.modelId}" with no downtime, rebuild it ` +
      'with that model behind the live index: `lookalike index <folder> --switch-model` (every registered folder ' +
      'and URL list is indexed again), or `/reindex full` from chat in a bot started with that model.',
  );
}
