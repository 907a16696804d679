import type { ImageDocument } from '../../../src/store/types.js';
import { imageId } from '../../../src/store/ids.js';
import { makeDoc } from './docs.js';
import { randomUnit } from './vectors.js';

export const crashIndex = 'crash';
export const crashSpec = { dims: 64, modelId: 'crash-model' };
const source = 'folder:/crash';

export function crashIds(batch: number, size: number): string[] {
  return Array.from({ length: size }, (_, i) => imageId(source, `${batch}/${i}.jpg`));
}

/** The same batch number always yields the same documents, so a re-run converges to the full set. */
export function crashBatch(batch: number, size: number): ImageDocument[] {
  return crashIds(batch, size).map((id, i) =>
    makeDoc({
      image_id: id,
      source,
      relative_path: `${batch}/${i}.jpg`,
      model_id: crashSpec.modelId,
      image_embedding: randomUnit(crashSpec.dims, batch * size + i),
    }),
  );
}
