// Where the bot's resident memory goes, per precision: each configuration in its own process, RSS after each
// step of bringing a bot up the way `lookalike start` does (embedder with both towers, embedded store), after a
// first text query (the text tower's arenas), after a first image (the vision tower's), and once the vision tower
// has left memory after LOOKALIKE_VISION_IDLE_SECONDS without images (set to 2 here): the idle bot. Each precision
// runs as glibc's malloc is by default and with MALLOC_ARENA_MAX=1 MALLOC_TRIM_THRESHOLD_=131072 (as the systemd
// unit sets them). Results: bench/memory.md.
//
//   node bin/run-ts.js scripts/bench/memory.ts [--model /tmp/lookalike-bench-models/openai] [--out bench/memory.md]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeReport } from './report.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: '/tmp/lookalike-bench-models/openai' },
    out: { type: 'string', default: path.join(import.meta.dirname, '../../bench/memory.md') },
    child: { type: 'string' },
  },
});

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

async function child(precision: string): Promise<void> {
  const { mkdtempSync } = await import('node:fs');
  const { parseConfig } = await import('../../src/config/load.js');
  const { openEmbedder } = await import('../../src/model/index.js');
  const { openStore } = await import('../../src/store/open.js');
  const steps: [string, number][] = [['node + modules', process.memoryUsage().rss]];
  const config = parseConfig({
    LOOKALIKE_MODEL_DIR: args.model,
    LOOKALIKE_PRECISION: precision,
    LOOKALIKE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lookalike-memory-')),
    LOOKALIKE_STORE: 'embedded',
    LOOKALIKE_VISION_IDLE_SECONDS: '2',
  });
  const embedder = await openEmbedder(config);
  steps.push(['+ both towers loaded (startup)', process.memoryUsage().rss]);
  const store = await openStore(config);
  await store.ensureIndex({ dims: embedder.dims, modelId: embedder.modelId });
  steps.push(['+ embedded store open', process.memoryUsage().rss]);
  await embedder.embedTexts(['a red bicycle']);
  steps.push(['+ first text query', process.memoryUsage().rss]);
  const photo = readFileSync(path.resolve('test/fixtures/images/photo-cat.jpg'));
  await embedder.embedImages(Array.from({ length: 16 }, (_, i) => ({ name: `p${i}`, bytes: photo })));
  steps.push(['+ a batch of 16 images', process.memoryUsage().rss]);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  steps.push(['**idle bot**: image model released after 2 s without images', process.memoryUsage().rss]);
  await embedder.embedTexts(['a blue boat']);
  steps.push(['+ a text query (idle bot at work)', process.memoryUsage().rss]);
  const { renderContactSheet } = await import('../../src/render/contact-sheet.js');
  const { makeThumbnail } = await import('../../src/indexer/thumbnail.js');
  const thumbnail = await makeThumbnail('cat', photo);
  for (let i = 0; i < 200; i++) {
    const tiles = Array.from({ length: 5 }, (_, k) => ({
      rank: k + 1,
      score: 0.3,
      name: `p${i}-${k}`,
      bytes: thumbnail,
    }));
    await renderContactSheet(tiles, { maxPixels: config.LOOKALIKE_MAX_IMAGE_PIXELS });
  }
  steps.push(['+ 200 contact sheets of 5 (replies)', process.memoryUsage().rss]);
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ precision, steps: steps.map(([s, r]) => [s, mib(r)]), peak: mib(peak) }));
  await store.close();
  await embedder.close();
}

if (args.child) {
  await child(args.child);
} else {
  const mallocs: [string, Record<string, string>][] = [
    ['', {}],
    [' + MALLOC_ARENA_MAX=1', { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '131072' }],
  ];
  const columns: string[] = [];
  const cells = new Map<string, Map<string, number>>();
  for (const precision of ['fp32', 'quantized']) {
    for (const [malloc, env] of mallocs) {
      const out = execFileSync(
        process.execPath,
        [path.resolve('bin/run-ts.js'), import.meta.filename, '--model', args.model, '--child', precision],
        { encoding: 'utf8', env: { ...process.env, ...env } },
      );
      const result = JSON.parse(out.trim().split('\n').at(-1) as string) as {
        steps: [string, number][];
        peak: number;
      };
      const column = `${precision}${malloc}`;
      columns.push(column);
      for (const [step, rss] of [
        ...result.steps,
        ['peak (maxRSS, worker threads included)', result.peak],
      ] as const) {
        if (!cells.has(step)) cells.set(step, new Map());
        cells.get(step)?.set(column, rss);
      }
    }
  }
  const rows = [...cells].map(
    ([step, byColumn]) => `| ${step} | ${columns.map((c) => byColumn.get(c) ?? '').join(' | ')} |`,
  );
  const report = `# Resident memory of the bot, per precision

\`node bin/run-ts.js scripts/bench/memory.ts --model ${args.model}\` (${new Date().toISOString()}); ${os.cpus().length} cores,
Node ${process.version}; load average at the end ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(
      ' / ',
    )} (memory figures do not depend on load). Each column in its own process; MALLOC_ARENA_MAX=1 comes with
MALLOC_TRIM_THRESHOLD_=131072, as scripts/deploy/lookalike.service sets them.

| step (RSS MiB) | ${columns.join(' | ')} |
| --- | ${columns.map(() => '---:').join(' | ')} |
${rows.join('\n')}
`;
  writeReport(args.out, report);
  console.log(report);
}
