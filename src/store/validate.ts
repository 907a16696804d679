import type { DocFilter, ImageDocument, IndexSpec, KnnQuery, TenantScope } from './types.js';
import { InputError } from '../util/errors.js';

const requiredStrings = [
  'image_id',
  'image_name',
  'source',
  'tenant',
  'sha256',
  'indexed_at',
  'model_id',
] as const;
const optionalStrings = [
  'relative_path',
  'channel_id',
  'url',
  'permalink',
  'author_id',
  'posted_at',
  'format',
] as const;
const dateKinds: readonly string[] = ['taken', 'posted', 'modified'];
const requiredCounts = ['width', 'height', 'bytes'] as const;

/** Why a vector cannot be stored or searched with, or undefined when it can. */
export function vectorProblem(name: string, vector: unknown, dims: number): string | undefined {
  if (!(vector instanceof Float32Array)) return `${name} must be a Float32Array`;
  if (vector.length !== dims) return `${name} has ${vector.length} dimensions, the index expects ${dims}`;
  let norm = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i] as number;
    if (!Number.isFinite(v)) return `${name}[${i}] is ${v}, not a finite number`;
    norm += v * v;
  }
  if (norm === 0) return `${name} is all zeros (cosine similarity is undefined)`;
  return undefined;
}

/** Why a document cannot be written to an index of this spec, or undefined when it can. */
export function documentProblem(doc: ImageDocument, spec: IndexSpec): string | undefined {
  if (typeof doc !== 'object' || doc === null) return 'not a document object';
  const fields = doc as unknown as Record<string, unknown>;
  for (const key of requiredStrings) {
    const value = fields[key];
    if (typeof value !== 'string' || value.trim() === '') return `${key} is missing or empty`;
  }
  for (const key of optionalStrings) {
    const value = fields[key];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      return `${key} must be a non-empty string when present`;
    }
  }
  for (const key of requiredCounts) {
    const value = fields[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return `${key} must be a finite number >= 0`;
    }
  }
  if (doc.mtime !== undefined && !Number.isFinite(doc.mtime))
    return 'mtime must be a finite number when present';
  if (doc.date !== undefined && !Number.isFinite(doc.date))
    return 'date must be a finite number when present';
  if (doc.date_kind !== undefined && !dateKinds.includes(doc.date_kind)) {
    return `date_kind must be one of ${dateKinds.join(', ')} when present`;
  }
  if (doc.other_paths !== undefined && !(Array.isArray(doc.other_paths) && doc.other_paths.every(isString))) {
    return 'other_paths must be a list of strings when present';
  }
  if (doc.model_id !== spec.modelId) {
    return `model_id "${doc.model_id}" differs from the index's model "${spec.modelId}"`;
  }
  return vectorProblem('image_embedding', doc.image_embedding, spec.dims);
}

/** The tenant is what keeps one guild's images from another's: refuse to run without one. */
export function checkScope(scope: TenantScope | undefined): TenantScope {
  if (typeof scope?.tenant !== 'string' || scope.tenant.trim() === '') {
    throw new InputError('tenant', 'a non-empty tenant is required to query the store');
  }
  if (scope.visibleChannels !== undefined && !scope.visibleChannels.every(isString)) {
    throw new InputError('visibleChannels', 'must be a list of channel ids');
  }
  return scope;
}

export function checkFilter(filter: DocFilter | undefined): void {
  for (const key of ['source', 'channel_id', 'author_id', 'format'] as const) {
    const list = filter?.[key];
    if (list !== undefined && !(Array.isArray(list) && list.every(isString))) {
      throw new InputError(`filter.${key}`, 'must be a list of strings');
    }
  }
  const date = filter?.date;
  for (const edge of ['from', 'until'] as const) {
    const value = date?.[edge];
    if (value !== undefined && !Number.isFinite(value)) {
      throw new InputError(`filter.date.${edge}`, 'must be a time in ms since the epoch');
    }
  }
}

export function checkQuery(query: KnnQuery, dims: number): void {
  checkScope(query.scope);
  checkFilter(query.filter);
  if (!Number.isInteger(query.k) || query.k < 1 || query.k > 10_000) {
    throw new InputError('k', `must be an integer from 1 to 10000, got ${query.k}`);
  }
  const problem = vectorProblem('query vector', query.vector, dims);
  if (problem) throw new InputError('vector', problem);
  const { similarity } = query;
  if (similarity !== undefined && !(Number.isFinite(similarity) && similarity >= -1 && similarity <= 1)) {
    throw new InputError('similarity', `must be a number from -1 to 1, got ${similarity}`);
  }
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
