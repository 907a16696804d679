// `npm run bench`: every benchmark in turn, each writing its results and the command that made them to bench/.
//   npm run bench [-- --only embedder,indexer] [--model DIR]
// Needs the full-size random-init model (scripts/export-onnx.py --random-init --quantize --out DIR; default
// LOOKALIKE_BENCH_MODEL or /work/models/clip-vit-b32-random), the Python reference requirements
// (scripts/requirements-export.txt; LOOKALIKE_PYTHON picks the interpreter) and, for the Elasticsearch
// runs, ELASTICSEARCH_URL (else `npm run es:start` is run first).
import { execFileSync, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    model: {
      type: 'string',
      default: process.env.LOOKALIKE_BENCH_MODEL ?? '/work/models/clip-vit-b32-random',
    },
  },
});

const model = args.model;
const benches: Record<string, string[]> = {
  embedder: ['scripts/bench/embedder.ts', '--model', model],
  indexer: ['scripts/bench/indexer.ts', '--model', model],
  // 12 MP phone JPEGs (generated), against the bare model only: the Python loop at this size takes minutes a round.
  'indexer-phone': [
    'scripts/bench/indexer.ts',
    '--model',
    model,
    '--phone',
    '--count',
    '48',
    '--rounds',
    '3',
    '--batch',
    '16',
    '--no-python',
  ],
  'bot-load': ['scripts/bench/bot-load.ts', '--model', model],
  memory: ['scripts/bench/memory.ts', '--model', model],
  precision: ['scripts/bench/precision.ts', '--model', model],
  'stores-embedded': ['scripts/bench/stores-embedded.ts'],
  'stores-elasticsearch': ['scripts/bench/stores-elasticsearch.ts'],
  ocr: ['scripts/bench/ocr.ts'],
  // The #12 search-scale check in a quick form: 100k documents, both stores, every filter at 1% and 10%, the
  // answer shaping's cost. The full curve and the cluster are bench/scale-embedded.md and scale-cluster.md.
  scale: [
    'scripts/bench/scale.ts',
    '--sizes',
    '100000',
    '--queries',
    '30',
    '--types',
    'int8_hnsw',
    '--nc',
    '200,1000',
    '--probes',
    '24',
    '--out',
    'bench/scale-100k.md',
  ],
  'ocr-photos': ['scripts/bench/ocr-photos.ts', '--model', model],
};
const chosen = args.only ? args.only.split(',') : Object.keys(benches);
const unknown = chosen.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}

if (
  !process.env.ELASTICSEARCH_URL &&
  chosen.some((n) => n === 'indexer' || n === 'stores-elasticsearch' || n === 'ocr' || n === 'scale')
) {
  execFileSync('bash', ['scripts/elasticsearch/start.sh'], { stdio: 'inherit' });
  process.env.ELASTICSEARCH_URL = `http://127.0.0.1:${process.env.ES_PORT ?? '9200'}`;
}

let failed = 0;
for (const name of chosen) {
  console.log(`\n=== ${name}: node bin/run-ts.js ${benches[name]!.join(' ')}`);
  const run = spawnSync(process.execPath, ['bin/run-ts.js', ...benches[name]!], { stdio: 'inherit' });
  if (run.status !== 0) failed += 1;
}
process.exit(failed > 0 ? 1 : 0);
