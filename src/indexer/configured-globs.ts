import type { Config } from '../config/schema.js';
import type { SourceDescriptor } from './source-registry.js';

/**
 * A folder indexed without its own include / exclude globs gets LOOKALIKE_INCLUDE / LOOKALIKE_EXCLUDE,
 * recorded in the descriptor so that /reindex selects the same files later. The defaults that select
 * everything are left out; URL lists have no globs.
 */
export function withConfiguredGlobs(descriptor: SourceDescriptor, config: Config): SourceDescriptor {
  if (descriptor.kind !== 'folder') return descriptor;
  const include = descriptor.include ?? config.LOOKALIKE_INCLUDE;
  const exclude = descriptor.exclude ?? config.LOOKALIKE_EXCLUDE;
  const everything = include.length === 1 && include[0] === '**/*';
  return {
    ...descriptor,
    ...(!everything && include.length > 0 && { include }),
    ...(exclude.length > 0 && { exclude }),
  };
}
