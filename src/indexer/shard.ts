import { InputError } from '../util/errors.js';

export interface Shard {
  index: number;
  count: number;
}

/** Which of `count` shards an image id falls in: its leading 32 bits (ids are hex sha256) modulo count. */
export function shardOf(imageId: string, count: number): number {
  return Number.parseInt(imageId.slice(0, 8), 16) % count;
}

/** Checks a shard given in code; `option` names it in the message (e.g. `--shard`). */
export function checkShard(shard: Shard, option = 'shard'): Shard {
  const { index, count } = shard;
  if (!Number.isInteger(count) || count < 1) {
    throw new InputError(option, `the shard count must be a whole number of at least 1, got ${count}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new InputError(
      option,
      `the shard index must be a whole number from 0 to ${count - 1}, got ${index}`,
    );
  }
  return shard;
}

/** Parses `i/n` (0-based i), e.g. `--shard 0/2`. */
export function parseShard(text: string, option = '--shard'): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new InputError(option, `expected i/n, e.g. 0/2 (shard 0 of 2), got "${text}"`);
  return checkShard({ index: Number(match[1]), count: Number(match[2]) }, option);
}
