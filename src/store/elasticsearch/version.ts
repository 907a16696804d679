import { ServiceError } from '../../util/errors.js';

/** What this store relies on, by the server version that introduced it. */
export interface ServerFeatures {
  version: string;
  /** `bbq_hnsw` index type (GA in 8.18 / 9.0). */
  bbq: boolean;
  /** `rescore_vector` on a top-level knn search (8.18+). */
  rescoreVector: boolean;
  /** New indices leave vectors out of the stored `_source` (9.2+); reads must ask for them explicitly. */
  sourceWithoutVectors: boolean;
  /** Vectors sent as base64 big-endian float32 strings (9.3+): a quarter of the JSON float payload. */
  base64Vectors: boolean;
}

const atLeast = (v: [number, number], major: number, minor: number) =>
  v[0] > major || (v[0] === major && v[1] >= minor);

/** Oldest server with `int8_hnsw` and the knn options used here. */
export const minimumVersion = '8.12';

/** Parses `8.19.2`, `9.5.3-SNAPSHOT`, ...; refuses servers this client cannot serve well. */
export function serverFeatures(version: string): ServerFeatures {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) throw new ServiceError('elasticsearch', `unrecognised Elasticsearch version "${version}"`);
  const v: [number, number] = [Number(match[1]), Number(match[2])];
  if (!atLeast(v, 8, 12)) {
    throw new ServiceError(
      'elasticsearch',
      `Elasticsearch ${version} is too old: lookalike needs ${minimumVersion} or newer (quantised HNSW vectors, top-level knn with filters)`,
    );
  }
  if (v[0] >= 10) {
    throw new ServiceError(
      'elasticsearch',
      `Elasticsearch ${version} is not supported: the 8.x client used by lookalike talks to 8.x and 9.x servers`,
    );
  }
  return {
    version,
    bbq: atLeast(v, 8, 18),
    rescoreVector: atLeast(v, 8, 18),
    sourceWithoutVectors: atLeast(v, 9, 2),
    base64Vectors: atLeast(v, 9, 3),
  };
}
