import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { checkModelFolders, loadConfig } from '../config/load.js';
import { openEmbedder } from '../model/index.js';
import { hitLocation, formatScore, matchedWords } from '../render/list.js';
import { SearchService } from '../search/service.js';
import { clipTextOf, findTextOf, type FindText } from '../search/text-query.js';
import { openStore } from '../store/open.js';
import type { Hit, TenantScope } from '../store/types.js';
import { sharedTenant } from '../store/tenants.js';

interface SearchFlags {
  count: number;
  json?: boolean;
  tenant: string;
}

/** `lookalike find "<text>"` and `lookalike similar <file>`: one search from the shell, then exit. */
export function registerSearchCommands(program: Command): void {
  const withSearchFlags = (command: Command) =>
    command
      .option('-n, --count <n>', 'how many results, 1 to 100', parseCount, 5)
      .option('--json', 'print {"hits":[{image_id, image_name, relative_path, score}]} best first')
      .option(
        '--tenant <id>',
        'search this guild / workspace id (and shared folders) instead of shared folders only',
        sharedTenant,
      );

  withSearchFlags(
    program
      .command('find')
      .argument('<text>', 'what to look for')
      .description('Find images matching a description'),
  ).action(async (text: string, flags: SearchFlags) => {
    await oneShot(flags, (search) => search.textVector(clipTextOf(text)), findTextOf(text));
  });

  withSearchFlags(
    program
      .command('similar')
      .argument('<file>', 'an image file')
      .description('Find images that look like an image file'),
  ).action(async (file: string, flags: SearchFlags) => {
    await oneShot(flags, (search) =>
      search.imageVector({ name: path.basename(file), path: path.resolve(file) }),
    );
  });
}

async function oneShot(
  flags: SearchFlags,
  queryVector: (search: SearchService) => Promise<Float32Array>,
  text?: FindText,
): Promise<void> {
  const config = loadConfig();
  checkModelFolders(config);
  const embedder = await openEmbedder(config);
  const store = await openStore(config).catch(async (error: unknown) => {
    await embedder.close();
    throw error;
  });
  try {
    const search = new SearchService(embedder, store);
    const scope: TenantScope = { tenant: flags.tenant, includeShared: config.LOOKALIKE_INCLUDE_SHARED };
    const { hits } = await search.page(await queryVector(search), scope, 0, flags.count, text);
    process.stdout.write(flags.json ? `${JSON.stringify({ hits: hits.map(jsonHit) })}\n` : humanLines(hits));
  } finally {
    await store.close();
    await embedder.close();
  }
}

const jsonHit = (hit: Hit) => ({
  image_id: hit.image_id,
  image_name: hit.image_name,
  relative_path: hit.relative_path ?? null,
  score: hit.score,
  ...(hit.matched && { matched: hit.matched }),
});

function humanLines(hits: Hit[]): string {
  if (hits.length === 0) return 'No images found. Index a folder first: lookalike index <folder>\n';
  return hits
    .map((hit, i) => `${i + 1}. ${formatScore(hit.score)}  ${hitLocation(hit)}${matchedWords(hit)}\n`)
    .join('');
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new InvalidArgumentError('must be a whole number from 1 to 100');
  }
  return count;
}
