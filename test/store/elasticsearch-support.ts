// Shared by the Elasticsearch store tests and the kill-test child process; no vitest imports here.
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { ImageDocument } from '../../src/store/types.js';

/** The real server under test. Missing means failing, never skipping. */
export function elasticsearchUrl(): string {
  const url = process.env.ELASTICSEARCH_URL;
  if (!url) {
    throw new Error(
      'ELASTICSEARCH_URL is not set: the Elasticsearch store tests need a real server. ' +
        'Run `npm run es:start` and export ELASTICSEARCH_URL=http://127.0.0.1:9200',
    );
  }
  return url;
}

export const uniqueAlias = () => `lookalike-test-${randomUUID().slice(0, 8)}`;

export function testConfig(env: Record<string, string> = {}): Config {
  return parseConfig({ ELASTICSEARCH_URL: elasticsearchUrl(), LOOKALIKE_INDEX: uniqueAlias(), ...env });
}

export const adminClient = () => new Client({ node: elasticsearchUrl() });

/** Deletes the alias's indices, including rebuilds left behind (explicit names: wildcard deletes may be refused). */
export async function dropIndices(client: Client, alias: string): Promise<void> {
  const found = await client.indices.get({
    index: `${alias},${alias}-*`,
    ignore_unavailable: true,
    allow_no_indices: true,
  });
  const names = Object.keys(found);
  if (names.length > 0) await client.indices.delete({ index: names.join(',') });
}

/** Deterministic pseudo-random numbers (mulberry32), so a child process rebuilds the same documents. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function unitVector(dims: number, random: () => number): Float32Array {
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = random() * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i] = (v[i] as number) * scale;
  return v;
}

export function makeDoc(i: number, vector: Float32Array, fields: Partial<ImageDocument> = {}): ImageDocument {
  return {
    image_id: `img-${i}`,
    image_name: `photo ${i}.jpg`,
    relative_path: `album/photo ${i}.jpg`,
    source: 'folder:/photos',
    tenant: 'guild-1',
    sha256: i.toString(16).padStart(64, '0'),
    width: 640,
    height: 480,
    bytes: 1000 + i,
    mtime: 1_700_000_000_000 + i,
    indexed_at: '2026-11-29T00:00:00.000Z',
    model_id: 'test-model',
    image_embedding: vector,
    ...fields,
  };
}

export function makeDocs(
  count: number,
  dims: number,
  seed = 1,
  fields: Partial<ImageDocument> = {},
): ImageDocument[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => makeDoc(i, unitVector(dims, random), fields));
}
