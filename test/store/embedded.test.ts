import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createEmbeddedStore, embeddedStoreFile } from '../../src/store/embedded/index.js';
import { openStore, storeBackend } from '../../src/store/open.js';
import type { VectorStore } from '../../src/store/types.js';
import { ServiceError } from '../../src/util/errors.js';
import { describeStoreContract } from './contract.js';
import { crashBatch, crashIds, crashIndex, crashSpec } from './helpers/crash-docs.js';
import { contractDims as dims, contractModel, ids, makeDoc } from './helpers/docs.js';
import { randomUnit } from './helpers/vectors.js';

const root = path.resolve(import.meta.dirname, '../..');
const tempDirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lookalike-store-'));
  tempDirs.push(dir);
  return dir;
};
const open = (dataDir: string) => createEmbeddedStore({ dataDir, index: 'images', threads: 2 });
const tenantA = { tenant: 'tenant-a' };

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describeStoreContract('embedded', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lookalike-contract-'));
  // Through the factory, as the app opens it: no Elasticsearch configured means the embedded store.
  const store = await openStore(parseConfig({ LOOKALIKE_DATA_DIR: dataDir }));
  expect(store.backend).toBe('embedded');
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('openStore backend choice', () => {
  it('uses Elasticsearch when asked, or when a URL or Cloud ID is set in auto mode; else embedded', () => {
    const choose = (env: Record<string, string>) => storeBackend(parseConfig(env));
    expect(choose({})).toBe('embedded');
    expect(choose({ ELASTICSEARCH_URL: 'http://localhost:9200' })).toBe('elasticsearch');
    expect(choose({ ELASTICSEARCH_CLOUD_ID: 'deployment:abc' })).toBe('elasticsearch');
    expect(choose({ LOOKALIKE_STORE: 'embedded', ELASTICSEARCH_URL: 'http://localhost:9200' })).toBe(
      'embedded',
    );
    expect(choose({ LOOKALIKE_STORE: 'elasticsearch' })).toBe('elasticsearch');
  });
});

describe('embedded store on disk', () => {
  let dataDir: string;
  let store: VectorStore;
  const docs = Array.from({ length: 20 }, (_, i) =>
    makeDoc({
      image_id: `doc-${i}`,
      channel_id: i % 2 ? 'c1' : undefined,
      image_embedding: randomUnit(dims, i),
    }),
  );
  const query = randomUnit(dims, 99);

  beforeEach(async () => {
    dataDir = await tempDir();
    store = await open(dataDir);
    await store.ensureIndex({ dims, modelId: contractModel });
    await store.upsert(docs);
  });
  afterEach(async () => {
    await store.close();
  });

  it('lives in <data dir>/store/<index>.sqlite and keeps everything across a reopen', async () => {
    expect(existsSync(path.join(dataDir, 'store', 'images.sqlite'))).toBe(true);
    const before = await store.knn({ vector: query, k: 5, scope: tenantA, filter: { channel_id: ['c1'] } });
    await store.close();
    store = await open(dataDir);
    expect(await store.count(tenantA)).toBe(docs.length);
    expect(await store.knn({ vector: query, k: 5, scope: tenantA, filter: { channel_id: ['c1'] } })).toEqual(
      before,
    );
    await expect(store.ensureIndex({ dims: dims * 2, modelId: contractModel })).rejects.toThrow(/32/);
  });

  it('a file made before text search and thumbnails (schema 1) gains both at open, and keeps its documents', async () => {
    await store.close();
    const db = new Database(path.join(dataDir, 'store', 'images.sqlite'));
    db.exec(`DROP TRIGGER docs_text_insert; DROP TRIGGER docs_text_update; DROP TRIGGER docs_text_delete;
      DROP TABLE doc_text; DROP TRIGGER docs_thumbnail_delete; DROP TABLE thumbnails; PRAGMA user_version = 1;`);
    db.close();
    store = await open(dataDir);
    expect(await store.count(tenantA)).toBe(docs.length);
    expect((await store.lackingThumbnails([docs[0]!.image_id])).length).toBe(1);
    const doc = docs[0]!;
    const written = await store.setText([
      {
        image_id: doc.image_id,
        sha256: doc.sha256,
        text: 'Build failed',
        text_confidence: 0.9,
        text_by: 'ocr',
      },
    ]);
    expect(written.written).toBe(1);
    const found = await store.findText({ words: 'build failed', phrase: false, k: 5, scope: tenantA });
    expect(found.map((h) => h.image_id)).toEqual([doc.image_id]);
  });

  it('a second connection (another process) sees writes, deletes and reindex commits at its next query', async () => {
    const other = await open(dataDir);
    try {
      expect(await other.count(tenantA)).toBe(docs.length);
      await store.upsert([makeDoc({ image_id: 'late', image_embedding: query })]);
      expect(ids(await other.knn({ vector: query, k: 1, scope: tenantA }))).toEqual(['late']);
      await other.delete(['late', 'doc-0']);
      expect(await store.count(tenantA)).toBe(docs.length - 1);
      expect(ids(await store.knn({ vector: query, k: 30, scope: tenantA }))).not.toContain('late');

      const reindex = await other.beginReindex({ tenant: 'tenant-a', source: 'folder:/photos' });
      await reindex.upsert(docs.slice(0, 3));
      expect(await store.count(tenantA)).toBe(docs.length - 1);
      await other.commitReindex(reindex);
      expect(
        (await store.knn({ vector: query, k: 30, scope: tenantA })).map((h) => h.image_id).sort(),
      ).toEqual(['doc-0', 'doc-1', 'doc-2']);
    } finally {
      await other.close();
    }
  });

  it('a connection that missed pruned tombstones reloads instead of keeping deleted documents', async () => {
    const idle = await open(dataDir);
    try {
      expect(await idle.count(tenantA)).toBe(docs.length);
      await store.delete(['doc-1', 'doc-2']);
      // Age the tombstones past retention; the next open prunes them.
      const raw = new Database(embeddedStoreFile(dataDir, 'images'));
      raw.prepare('UPDATE tombstones SET deleted_at = 0').run();
      raw.close();
      await (await open(dataDir)).close();
      expect(await idle.count(tenantA)).toBe(docs.length - 2);
      expect(ids(await idle.knn({ vector: query, k: 30, scope: tenantA }))).not.toContain('doc-1');
    } finally {
      await idle.close();
    }
  });

  it('answers queries from the old data while a large reindex commits, then from the new', async () => {
    const slice = { tenant: 'tenant-a', source: 'folder:/big' };
    const many = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) =>
        makeDoc({ image_id: `${prefix}-${i}`, ...slice, image_embedding: randomUnit(dims, 5000 + i) }),
      );
    await store.upsert(many('old', 3000));
    const reindex = await store.beginReindex(slice);
    await reindex.upsert(many('new', 2500));

    const seen: string[] = [];
    let committing = true;
    const commit = store.commitReindex(reindex).finally(() => (committing = false));
    while (committing) {
      const filter = { source: [slice.source] };
      const [count, hits] = await Promise.all([
        store.count(tenantA, filter),
        store.knn({ vector: query, k: 20, scope: tenantA, filter }),
      ]);
      const prefixes = new Set(hits.map((h) => h.image_id.split('-')[0]));
      seen.push(`${count} ${[...prefixes].join(',')}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await commit;

    // The commit runs in steps: many queries were answered before the swap, all from the old data.
    const firstNew = seen.indexOf('2500 new');
    expect(seen.slice(0, firstNew === -1 ? undefined : firstNew).every((s) => s === '3000 old')).toBe(true);
    expect(seen.filter((s) => s === '3000 old').length).toBeGreaterThanOrEqual(5);
    expect(seen.slice(firstNew === -1 ? seen.length : firstNew).every((s) => s === '2500 new')).toBe(true);
    expect(await store.count(tenantA, { source: [slice.source] })).toBe(2500);
  });

  it('a newer reindex of the same slice replaces an unfinished one', async () => {
    const first = await store.beginReindex({ tenant: 'tenant-a', source: 'folder:/photos' });
    const second = await store.beginReindex({ tenant: 'tenant-a', source: 'folder:/photos' });
    await expect(first.upsert(docs.slice(0, 1))).rejects.toThrow(/not open/);
    await expect(store.commitReindex(first)).rejects.toThrow(/not open/);
    await second.upsert(docs.slice(0, 2));
    await store.commitReindex(second);
    expect(await store.count(tenantA)).toBe(2);
  });

  it('refuses writes before ensureIndex and any call after close, with a clear error', async () => {
    const fresh = await open(await tempDir());
    await expect(fresh.upsert(docs)).rejects.toThrow(/does not exist yet: call ensureIndex/);
    expect(await fresh.count(tenantA)).toBe(0);
    await fresh.close();
    await expect(fresh.count(tenantA)).rejects.toBeInstanceOf(ServiceError);
  });
});

describe('embedded store crash safety', () => {
  const batches = 40;
  const size = 500;

  /**
   * Runs the writer child. With `kill`, SIGKILLs it `delayMs` after it has reported `after` committed batches:
   * each batch takes ~10 ms, mostly inside the SQLite transaction, so the kill lands at varying points of a write.
   */
  const runWriter = (dataDir: string, kill?: { after: number; delayMs: number }) =>
    new Promise<{ reported: number; signal: NodeJS.Signals | null; code: number | null }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['bin/run-ts.js', 'test/store/helpers/crash-writer.ts', dataDir, String(batches), String(size)],
          { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let reported = 0;
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          const before = reported;
          reported += chunk.split('\n').filter((line) => line.startsWith('committed')).length;
          if (kill && before < kill.after && reported >= kill.after) {
            setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
          }
        });
        child.on('error', reject);
        child.on('exit', (code, signal) =>
          code !== 0 && signal === null
            ? reject(new Error(`writer failed: ${stderr}`))
            : resolve({ reported, signal, code }),
        );
      },
    );

  /** Reopens the store after a kill: intact file, and exactly a prefix of whole batches. */
  const expectWholeBatches = async (dataDir: string, reported: number) => {
    const store = await createEmbeddedStore({ dataDir, index: crashIndex, threads: 1 });
    try {
      const check = new Database(embeddedStoreFile(dataDir, crashIndex), { readonly: true });
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      check.close();
      const committed = (await store.count(tenantA)) / size;
      expect(Number.isInteger(committed)).toBe(true); // no half batch survives
      expect(committed).toBeGreaterThanOrEqual(reported);
      expect(committed).toBeLessThan(batches);
      expect(await store.get(crashIds(committed - 1, size))).toHaveLength(size);
      expect(await store.get(crashIds(committed, size))).toEqual([]);
      await store.ensureIndex(crashSpec);
    } finally {
      await store.close();
    }
  };

  it('SIGKILL mid bulk write: reopens intact with exactly the committed batches, and a re-run converges', async () => {
    const dataDir = await tempDir();
    for (const kill of [
      { after: 3, delayMs: 4 },
      { after: 8, delayMs: 9 },
    ]) {
      const killed = await runWriter(dataDir, kill);
      expect(killed.signal).toBe('SIGKILL');
      await expectWholeBatches(dataDir, killed.reported);
    }

    const rerun = await runWriter(dataDir);
    expect(rerun).toMatchObject({ code: 0, reported: batches });
    const store = await createEmbeddedStore({ dataDir, index: crashIndex, threads: 1 });
    try {
      expect(await store.count(tenantA)).toBe(batches * size);
      const last = crashBatch(batches - 1, size)[size - 1]!;
      const [hit] = await store.knn({ vector: last.image_embedding, k: 1, scope: tenantA });
      expect(hit?.image_id).toBe(last.image_id);
    } finally {
      await store.close();
    }
  });
});
