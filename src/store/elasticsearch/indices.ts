import type { Client, estypes, TransportRequestOptions } from '@elastic/elasticsearch';
import { ServiceError } from '../../util/errors.js';
import type { IndexSpec } from '../types.js';
import { isNotFound, toServiceError } from './errors.js';
import { specFromMapping, vectorField, type IndexType } from './mapping.js';

/** What the alias points at: the concrete index and what it holds. */
export interface AliasTarget {
  index: string;
  mapping: estypes.MappingTypeMapping;
  spec: IndexSpec;
  indexType: IndexType;
}

/** `<alias>-<UTC timestamp to the ms>`: sorts by creation, and says when a rebuild happened. */
export function concreteIndexName(alias: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace('T', '-')
    .replace('.', '-')
    .replace('Z', '')
    .toLowerCase();
  return `${alias}-${stamp}`;
}

/** Reads the index behind the alias; undefined when the alias does not exist yet. */
export async function readAlias(
  client: Client,
  alias: string,
  target: string,
  options?: TransportRequestOptions,
): Promise<AliasTarget | undefined> {
  let mappings: estypes.IndicesGetMappingResponse;
  try {
    mappings = await client.indices.getMapping({ index: alias }, options);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw toServiceError(err, `read the mapping of "${alias}"`, target);
  }
  const names = Object.keys(mappings);
  if (names.includes(alias)) {
    throw new ServiceError(
      'elasticsearch',
      `"${alias}" is a plain index, not the alias lookalike manages: choose another LOOKALIKE_INDEX or delete that index`,
    );
  }
  if (names.length !== 1) {
    throw new ServiceError(
      'elasticsearch',
      `alias "${alias}" points at ${names.length} indices (${names.join(', ')}); lookalike expects exactly one`,
    );
  }
  const index = names[0] as string;
  const mapping = mappings[index]?.mappings ?? {};
  const spec = specFromMapping(mapping);
  if (!spec) {
    throw new ServiceError(
      'elasticsearch',
      `index "${index}" (alias "${alias}") was not created by lookalike: it has no model and dims in its mapping _meta`,
    );
  }
  const vector = mapping.properties?.[vectorField] as estypes.MappingDenseVectorProperty | undefined;
  return { index, mapping, spec, indexType: (vector?.index_options?.type ?? 'hnsw') as IndexType };
}

/** Creates a concrete index together with its aliases (one request: the index never exists without them). */
export async function createIndex(
  client: Client,
  index: string,
  mapping: estypes.MappingTypeMapping,
  target: string,
  aliases: Record<string, estypes.IndicesAlias>,
  settings: estypes.IndicesIndexSettings,
): Promise<void> {
  try {
    await client.indices.create({ index, mappings: mapping, settings, aliases });
  } catch (err) {
    throw toServiceError(err, `create index "${index}"`, target);
  }
}

export async function deleteIndex(client: Client, index: string, target: string): Promise<void> {
  try {
    await client.indices.delete({ index });
  } catch (err) {
    if (!isNotFound(err)) throw toServiceError(err, `delete index "${index}"`, target);
  }
}
