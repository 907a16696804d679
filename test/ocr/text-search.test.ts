// Indexing with the real OCR models into both stores, then /find's hybrid ranking over the fixture corpus:
// the text is read on a later run without embedding again, words find their image first, CLIP-only queries
// keep their ranking, and text matches respect tenants like kNN does.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorpusImage } from '../../scripts/ocr-corpus/render.js';
import { indexSource, type TextReader } from '../../src/indexer/index-source.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { OcrEngine } from '../../src/ocr/engine.js';
import { SearchService } from '../../src/search/service.js';
import { clipTextOf, findTextOf } from '../../src/search/text-query.js';
import { openFolderSource } from '../../src/sources/folder.js';
import { tempDir } from '../helpers/bot.js';
import { backendConfig, backends, openTestStore, type TestStore } from '../indexer/helpers/stores.js';

const corpus = path.resolve(import.meta.dirname, '../fixtures/ocr');
const truth = JSON.parse(await readFile(path.join(corpus, 'truth.json'), 'utf8')) as CorpusImage[];
const withText = truth.filter((t) => t.kind !== 'no-text');

/** A query a person might remember: two or three words standing together in the image. */
function queryFor(image: CorpusImage): string {
  if (image.words.length > 0) return image.words.slice(0, 2).join('');
  const line = [...image.lines].sort((a, b) => b.split(' ').length - a.split(' ').length)[0] as string;
  return line.split(' ').slice(0, 3).join(' ');
}

describe.each(backends)('text search over the OCR fixtures (%s store)', (backend) => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let embedder: Embedder;
  let engine: OcrEngine;
  let test: TestStore;
  let search: SearchService;
  const folders: Record<string, string> = {};

  const index = async (tenant: string, withReader: boolean, reader: TextReader = engine) =>
    indexSource({
      source: await openFolderSource({ root: folders[tenant] as string, tenant, maxBytes: 50_000_000 }),
      store: test.store,
      embedder,
      ...(withReader && { reader }),
      batchSize: 8,
      concurrency: 2,
    }).finally(() => test.refresh());

  beforeAll(async () => {
    data = await tempDir();
    for (const tenant of ['*', 'tenant-b']) {
      const folder = path.join(data.dir, tenant === '*' ? 'shared' : tenant);
      await mkdir(folder);
      for (const image of truth) await copyFile(path.join(corpus, image.file), path.join(folder, image.file));
      folders[tenant] = folder;
    }
    const config = backendConfig(backend, path.join(data.dir, 'store'));
    embedder = await openEmbedder(config);
    engine = await OcrEngine.open({ threads: 2 });
    test = await openTestStore(backend, path.join(data.dir, 'store'), config);
    search = new SearchService(embedder, test.store);
  });
  afterAll(async () => {
    await test?.close();
    await engine?.close();
    await embedder?.close();
    await data?.remove();
  });

  it('switched off reads no text; the next run adds it beside the stored vectors, embedding nothing', async () => {
    const off = await index('*', false);
    expect(off.text).toBeUndefined();
    expect(off.new).toBe(truth.length);
    const ids = (
      await test.store.knn({ vector: await search.textVector('x'), k: 100, scope: { tenant: '*' } })
    ).map((h) => h.image_id);
    const before = await test.store.getVectors(ids, { tenant: '*' });
    expect((await test.store.get(ids)).every((doc) => doc.text_by === undefined)).toBe(true);

    const on = await index('*', true);
    expect(on).toMatchObject({ new: 0, updated: 0, unchanged: truth.length });
    expect(on.text).toMatchObject({ read: truth.length, withText: withText.length, failed: [] });
    expect(on.text?.passedOver).toBeGreaterThanOrEqual(truth.length - withText.length);
    const after = await test.store.getVectors(ids, { tenant: '*' });
    for (const id of ids) expect(Array.from(after.get(id) ?? [])).toEqual(Array.from(before.get(id) ?? []));
    const docs = await test.store.get(ids);
    expect(docs.every((doc) => doc.text_by === engine.modelId)).toBe(true);
    const chinese = truth.find((t) => t.file === 'chinese-000.png') as CorpusImage;
    expect(docs.find((doc) => doc.image_name === chinese.file)?.text).toContain(chinese.lines[0]);

    const again = await index('*', true);
    expect(again.text).toMatchObject({ read: 0 });
  });

  it.each(withText.map((image) => ({ file: image.file, query: queryFor(image) })))(
    '"$query" finds $file first',
    async ({ file, query }) => {
      const vector = await search.textVector(clipTextOf(query));
      const { hits } = await search.page(vector, { tenant: '*' }, 0, 5, findTextOf(query));
      expect(hits[0]?.image_name).toBe(file);
      expect(hits[0]?.matched?.length).toBeGreaterThan(0);
    },
  );

  it('a query no image says keeps the CLIP ranking exactly', async () => {
    for (const query of ['snowy mountain', 'a cat on a sofa', 'sunset over the sea']) {
      const vector = await search.textVector(query);
      const clip = await search.page(vector, { tenant: '*' }, 0, 10);
      const hybrid = await search.page(vector, { tenant: '*' }, 0, 10, findTextOf(query));
      expect(hybrid.hits.map((h) => h.image_id)).toEqual(clip.hits.map((h) => h.image_id));
    }
  });

  it('a quoted phrase or text:"..." returns only images that say it', async () => {
    const meme = truth.find((t) => t.file === 'meme-001.jpg') as CorpusImage;
    const vector = await search.textVector('a meme');
    for (const query of [`"${meme.lines[0]}"`, `text:"${meme.lines[1]}"`]) {
      const { hits } = await search.page(vector, { tenant: '*' }, 0, 10, findTextOf(query));
      expect(hits.map((h) => h.image_name)).toEqual([meme.file]);
    }
  });

  it("indexed with OCR on, photos are passed over while embedding and never opened again; another tenant's words stay hidden", async () => {
    // The real engine, counting which images the text pass reads in full.
    const opened: string[] = [];
    const counting: TextReader = {
      modelId: engine.modelId,
      gate: (pixels) => engine.gate(pixels),
      read: (name, bytes) => {
        opened.push(path.basename(name));
        return engine.read(name, bytes);
      },
    };
    const report = await index('tenant-b', true, counting);
    expect(report.text).toMatchObject({ read: truth.length, withText: withText.length, failed: [] });
    const photos = truth.filter((t) => t.kind === 'no-text').map((t) => t.file);
    expect(report.text?.passedOver).toBe(photos.length);
    expect(opened.sort()).toEqual(withText.map((t) => t.file).sort());
    const ids = (
      await test.store.knn({ vector: await search.textVector('x'), k: 100, scope: { tenant: 'tenant-b' } })
    ).map((h) => h.image_id);
    const stored = (await test.store.get(ids)).filter((d) => photos.includes(d.image_name));
    expect(stored.map((d) => [d.text, d.text_by])).toEqual(photos.map(() => ['', engine.modelId]));

    const query = queryFor(withText[0] as CorpusImage);
    const vector = await search.textVector(query);
    const own = await search.page(vector, { tenant: 'tenant-b' }, 0, 20, findTextOf(query));
    expect(own.hits.every((h) => h.tenant === 'tenant-b')).toBe(true);
    expect(own.hits[0]?.image_name).toBe(withText[0]?.file);
    const elsewhere = await search.page(vector, { tenant: 'tenant-c' }, 0, 20, findTextOf(query));
    expect(elsewhere.hits).toEqual([]);
  });
});
