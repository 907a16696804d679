// Shared by the Elasticsearch store tests and the kill-test child process; no vitest imports here.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@elastic/elasticsearch';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { ImageDocument } from '../../src/store/types.js';
import { seededRandom } from './helpers/vectors.js';

/** Deterministic pseudo-random numbers, so a child process rebuilds the same documents. */
export { seededRandom };

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

/** What a proxy does with one request: undefined passes it on; `hang` never answers; else this answer. */
export type Intercept = (req: http.IncomingMessage) => { status: number; body: unknown } | 'hang' | undefined;

export interface Proxy {
  url: string;
  port: number;
  /** Stops listening and drops every connection: the port refuses connections from then on. */
  close(): Promise<void>;
}

/**
 * A pass-through proxy to the real server on 127.0.0.1 that can answer some requests itself, to provoke
 * what a busy, misconfigured or unreachable cluster does (429, 401, an old version, no answer at all).
 * `port` reopens a proxy where a closed one listened.
 */
export async function startProxy(intercept: Intercept = () => undefined, port = 0): Promise<Proxy> {
  const upstream = new URL(elasticsearchUrl());
  const server = http.createServer((req, res) => {
    const canned = intercept(req);
    if (canned === 'hang') return void req.resume();
    if (canned) {
      req.resume();
      res.writeHead(canned.status, {
        'content-type': 'application/json',
        'x-elastic-product': 'Elasticsearch',
      });
      res.end(JSON.stringify(canned.body));
      return;
    }
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => res.destroy(err));
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
