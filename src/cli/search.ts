import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { checkModelFolders, loadConfig } from '../config/load.js';
import { openEmbedder } from '../model/index.js';
import { hitLocation, formatScore, matchedWords } from '../render/list.js';
import { parseQuery } from '../search/query-language.js';
import { mentionedId, shapeOf } from '../search/query-shape.js';
import { SearchService, type SearchPage } from '../search/service.js';
import { configuredModel } from '../model/configured.js';
import { openSourceRegistry } from '../indexer/source-registry.js';
import { clipTextOf, findTextOf, type FindText } from '../search/text-query.js';
import { openStore } from '../store/open.js';
import type { Hit, TenantScope } from '../store/types.js';
import { sharedTenant } from '../store/tenants.js';

interface SearchFlags {
  count: number;
  json?: boolean;
  tenant: string;
  in?: string[];
  from?: string[];
  after?: string;
  before?: string;
  during?: string;
  type?: string[];
  source?: string[];
  sort?: string;
  all?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

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
      )
      .option('--in <channel>', 'only images posted in this channel (its id; repeatable)', collect)
      .option('--from <author>', 'only images this person posted (their id; repeatable)', collect)
      .option('--after <date>', 'only images dated after this day, month or year (2024-06-01, 2024-07, 2024)')
      .option('--before <date>', 'only images dated before this day, month or year')
      .option('--during <date>', 'only images dated within this day, month or year')
      .option('--type <format>', 'only this image format: jpeg, png, gif, webp, ... (repeatable)', collect)
      .option(
        '--source <name>',
        'only this indexed folder or list, by the end of its path (repeatable)',
        collect,
      )
      .option('--sort <order>', 'relevance (default) or date (newest first, among the relevant hits)')
      .option('--all', 'show every hit: no relevance cut, no folding of near-copies');

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
    const lowConfidence = configuredModel(config).model?.lowConfidence;
    const search = new SearchService(embedder, store, undefined, {
      nearCopyCosine: config.LOOKALIKE_NEAR_COPY_COSINE,
      ...(lowConfidence !== undefined && { lowConfidence }),
    });
    const scope: TenantScope = { tenant: flags.tenant, includeShared: config.LOOKALIKE_INCLUDE_SHARED };
    const shape = await shapeOf(parseQuery(filterText(flags)), {
      sources: async (name) => matchingSources(await openSourceRegistry(config).list(), name),
      channel: async (id) => mentionedId(id) ?? id,
      author: async (id) => mentionedId(id) ?? id,
    });
    const page = await search.page(await queryVector(search), scope, 0, flags.count, text, shape);
    process.stdout.write(
      flags.json ? `${JSON.stringify(jsonAnswer(page))}\n` : humanLines(page, shape.filter !== undefined),
    );
  } finally {
    await store.close();
    await embedder.close();
  }
}

/** The flags as the query language says them, so the one grammar checks them (and names a bad one). */
function filterText(flags: SearchFlags): string {
  const quoted = (value: string) => (/\s/.test(value) ? `"${value}"` : value);
  const pairs: [string, string | undefined][] = [
    ...(flags.in ?? []).map((v): [string, string] => ['in', v]),
    ...(flags.from ?? []).map((v): [string, string] => ['from', v]),
    ['after', flags.after],
    ['before', flags.before],
    ['during', flags.during],
    ...(flags.type ?? []).map((v): [string, string] => ['type', v]),
    ...(flags.source ?? []).map((v): [string, string] => ['source', v]),
    ['sort', flags.sort],
    ['all', flags.all ? 'true' : undefined],
  ];
  return pairs
    .filter((pair): pair is [string, string] => pair[1] !== undefined)
    .map(([key, value]) => `${key}:${quoted(value)}`)
    .join(' ');
}

/** Sources whose path is, or ends with, the name. */
const matchingSources = (entries: { id: string; path: string }[], name: string): string[] =>
  entries.filter((e) => e.path === name || e.path.endsWith(`/${name}`)).map((e) => e.id);

const jsonHit = (hit: Hit) => ({
  image_id: hit.image_id,
  image_name: hit.image_name,
  relative_path: hit.relative_path ?? null,
  score: hit.score,
  date: hit.date === undefined ? null : new Date(hit.date).toISOString(),
  date_kind: hit.date_kind ?? null,
  ...(hit.matched && { matched: hit.matched }),
});

const jsonAnswer = (page: SearchPage) => ({
  hits: page.hits.map((hit) => ({
    ...jsonHit(hit),
    near_copies: hit.nearCopies.map((copy) => ({
      image_id: copy.image_id,
      relative_path: copy.relative_path ?? null,
      score: copy.score,
    })),
  })),
  cut: page.cut,
  low_confidence: page.lowConfidence,
});

function humanLines(page: SearchPage, filtered: boolean): string {
  if (page.hits.length === 0) {
    return filtered
      ? 'No images match those filters.\n'
      : 'No images found. Index a folder first: lookalike index <folder>\n';
  }
  const lines = page.hits.map((hit, i) => {
    const copies = hit.nearCopies.length > 0 ? `  (+${hit.nearCopies.length} near-copies)` : '';
    return `${i + 1}. ${formatScore(hit.score)}  ${hitLocation(hit)}${copies}${matchedWords(hit)}`;
  });
  if (page.cut > 0) lines.push(`${page.cut} weaker matches left out (--all shows them)`);
  if (page.lowConfidence) lines.push('Low confidence: even the best match is weak for this model');
  return `${lines.join('\n')}\n`;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new InvalidArgumentError('must be a whole number from 1 to 100');
  }
  return count;
}
