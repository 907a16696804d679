// Where the bot's resident memory goes, per precision: each configuration in its own process, RSS after each
// step of bringing a bot up the way `lookalike start` does (embedder with both towers, embedded store), after a
// first text query (the text tower's arenas), and after a first image (the vision tower's). Results:
// bench/memory.md.
//
//   node bin/run-ts.js scripts/bench/memory.ts [--model /tmp/lookalike-bench-models/openai] [--out bench/memory.md]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

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
  });
  const embedder = await openEmbedder(config);
  steps.push(['+ both towers loaded (idle bot)', process.memoryUsage().rss]);
  const store = await openStore(config);
  await store.ensureIndex({ dims: embedder.dims, modelId: embedder.modelId });
  steps.push(['+ embedded store open', process.memoryUsage().rss]);
  await embedder.embedTexts(['a red bicycle']);
  steps.push(['+ first text query', process.memoryUsage().rss]);
  const photo = readFileSync(path.resolve('test/fixtures/images/photo-cat.jpg'));
  await embedder.embedImages(Array.from({ length: 16 }, (_, i) => ({ name: `p${i}`, bytes: photo })));
  steps.push(['+ a batch of 16 images', process.memoryUsage().rss]);
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ precision, steps: steps.map(([s, r]) => [s, mib(r)]), peak: mib(peak) }));
  await store.close();
  await embedder.close();
}

if (args.child) {
  await child(args.child);
} else {
  const rows: string[] = [];
  for (const precision of ['fp32', 'quantized']) {
    const out = execFileSync(
      process.execPath,
      [path.resolve('bin/run-ts.js'), import.meta.filename, '--model', args.model, '--child', precision],
      { encoding: 'utf8' },
    );
    const result = JSON.parse(out.trim().split('\n').at(-1) as string) as {
      precision: string;
      steps: [string, number][];
      peak: number;
    };
    for (const [step, rss] of result.steps) rows.push(`| ${precision} | ${step} | ${rss} |`);
    rows.push(`| ${precision} | peak (maxRSS, worker threads included) | ${result.peak} |`);
  }
  const report = `# Resident memory of the bot, per precision

\`node bin/run-ts.js scripts/bench/memory.ts --model ${args.model}\` (${new Date().toISOString()}); ${os.cpus().length} cores,
Node ${process.version}; load average at the end ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')} (memory figures do not depend on load). Each precision in its own process.

| precision | step | RSS MiB |
| --- | --- | ---: |
${rows.join('\n')}
`;
  writeFileSync(args.out, report);
  console.log(report);
}
