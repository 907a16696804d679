import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactSheetSize } from '../../src/render/contact-sheet.js';
import { derivedImagesDir, photoFolder, photoNames, tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli, startCli, type CliResult } from '../helpers/cli.js';

const prompt = 'lookalike> ';

/** The console's output split per command: what it printed after echoing each piped line. */
function transcript(stdout: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current = '(greeting)';
  blocks.set(current, []);
  for (const line of stdout.split('\n')) {
    if (line.startsWith(prompt)) {
      current = line.slice(prompt.length);
      blocks.set(current, []);
    } else if (line !== '') blocks.get(current)?.push(line);
  }
  return blocks;
}

/** `#1  0.873  photo-cat.jpg` lines of a results block, as names in rank order. */
const rankedNames = (block: string[] | undefined) =>
  (block ?? []).filter((l) => /^#\d+ {2}/.test(l)).map((l) => l.split(/\s+/)[2]);

describe('npm start without chat tokens: the console, end to end', () => {
  let data: { dir: string; remove(): Promise<void> };
  let photos: { dir: string; remove(): Promise<void> };
  let run: CliResult;
  let out: Map<string, string[]>;
  const lines = (folder: string) => [
    '/find a cat',
    `/index ${folder}`,
    '/find a photo of a cat --count 3',
    '/more',
    `/similar ${path.join(folder, 'photo-china.jpg')}`,
    `/similar ${path.join(derivedImagesDir, 'photo-china-rotated-90.jpg')}`,
    `/similar ${path.join(derivedImagesDir, 'photo-china-half.jpg')}`,
    `/similar ${path.join(derivedImagesDir, 'photo-cat-half.jpg')}`,
    '/similar #2 --count 2',
    '/similar #1 at night -cat all:true',
    '/find 2:cat + "a photo" -#1 sort:date all:true',
    '/find a photo type:gif',
    '/find a photo source:nowhere',
    '/find a photo -',
    '/similar no/such/file.jpg',
    '/status',
    '/reindex',
    '/help',
    '/bogus',
    'hello',
  ];

  beforeAll(async () => {
    data = await tempDir();
    photos = await photoFolder();
    run = await runCli(['start'], isolatedEnv(data.dir), `${lines(photos.dir).join('\n')}\n`);
    out = transcript(run.stdout);
  }, 120_000);

  afterAll(async () => {
    await data?.remove();
    await photos?.remove();
  });

  it('exits cleanly when its input ends', () => {
    expect(run.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(run.code).toBe(0);
  });

  it('greets with the status, says how to index and offers /index', () => {
    const greeting = out.get('(greeting)')!.join('\n');
    expect(greeting).toContain('type /help for commands');
    expect(greeting).toContain('Images searchable here: 0');
    expect(greeting).toContain('lookalike index <folder>');
    expect(greeting).toContain('Or type /index <folder> here');
    expect(out.get('/find a cat')!.join('\n')).toContain('No images are indexed here yet');
  });

  it('indexes a folder with /index, showing progress and the report', () => {
    const block = out.get(`/index ${photos.dir}`)!;
    expect(block[0]).toMatch(/^Started indexing of .* \(job \w+\)\.$/);
    expect(block.some((l) => /^ {2}indexing \d+\/4/.test(l))).toBe(true);
    expect(block.at(-1)).toMatch(
      /^Indexed \/.*: 4 new, 0 updated, 0 unchanged, 0 deleted, 0 failed; text found in 0 of 4 images read \(4 showed no sign of text\) in [\d.]+ s\.$/,
    );
  });

  it('finds by text, prints ranked results and saves a decodable contact sheet under the data folder', async () => {
    const block = out.get('/find a photo of a cat --count 3')!;
    expect(block[0]).toBe('Results 1-3 for “a photo of a cat”:');
    expect(rankedNames(block)).toHaveLength(3);
    expect(block).toContain('More: /more');
    const sheetLine = block.find((l) => l.startsWith('Contact sheet: '))!;
    const file = sheetLine.slice('Contact sheet: '.length);
    expect(file.startsWith(path.join(data.dir, 'sheets') + path.sep)).toBe(true);
    const meta = await sharp(file).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
      format: 'jpeg',
      width: contactSheetSize(3).width,
      height: contactSheetSize(3).height,
    });

    const next = out.get('/more')!;
    expect(next[0]).toBe('Results 4-4 for “a photo of a cat”:');
    expect(new Set([...rankedNames(block), ...rankedNames(next)])).toEqual(new Set(photoNames));
  });

  it('finds an indexed image first by example, and its rotated and resized copies in the top 3', () => {
    expect(rankedNames(out.get(`/similar ${path.join(photos.dir, 'photo-china.jpg')}`))[0]).toBe(
      'photo-china.jpg',
    );
    const top3 = (file: string) =>
      rankedNames(out.get(`/similar ${path.join(derivedImagesDir, file)}`)).slice(0, 3);
    expect(top3('photo-china-rotated-90.jpg')).toContain('photo-china.jpg');
    expect(top3('photo-china-half.jpg')).toContain('photo-china.jpg');
    expect(top3('photo-cat-half.jpg')).toContain('photo-cat.jpg');
    const byRank = out.get('/similar #2 --count 2')!;
    expect(byRank[0]).toMatch(/^Results 1-2 for images like result #2 of images like photo-cat-half\.jpg:$/);
    expect(out.get('/similar no/such/file.jpg')).toEqual(['error: no/such/file.jpg: no such file']);
  });

  it('speaks the query language: words that adjust a picture, weights, results as terms, filters, date order', () => {
    const adjusted = out.get('/similar #1 at night -cat all:true')!;
    expect(adjusted[0]).toBe(
      'Results 1-4 for images like result #1 of images like result #2 of images like photo-cat-half.jpg, at night -cat all:true:',
    );
    const combined = out.get('/find 2:cat + "a photo" -#1 sort:date all:true')!;
    expect(rankedNames(combined).sort()).toEqual([...photoNames].sort());
    // Newest first, each with the date it is ordered by: a folder's photos carry their file's time.
    expect(
      combined.filter((l) => /^#\d+ .* \((taken|posted|modified) \d{4}-\d{2}-\d{2}\)$/.test(l)),
    ).toHaveLength(4);
    expect(combined).toContain(
      'Newest first, by the date each image was taken (else posted, else last changed).',
    );
    expect(out.get('/find a photo type:gif')).toEqual(['Nothing here matches those filters for “a photo”.']);
    expect(out.get('/find a photo source:nowhere')![0]).toBe(
      'error: source:nowhere: no indexed folder or list has that name',
    );
    expect(out.get('/find a photo -')![0]).toBe('error: -: a + or - needs a word after it');
  });

  it('reports status and the last run, reindexes the shared folder as the host operator, and explains mistakes', () => {
    const status = out.get('/status')!.join('\n');
    expect(status).toContain('Store: embedded');
    expect(status).toContain('Images searchable here: 4 (including shared folders)');
    expect(status).toMatch(/Last index run: .* 4 new/);
    const reindex = out.get('/reindex')!;
    expect(reindex[0]).toMatch(/^Started indexing of /);
    expect(reindex.at(-1)).toMatch(/0 new, 0 updated, 4 unchanged, 0 deleted, 0 failed/);
    const help = out.get('/help')!.join('\n');
    for (const command of [
      '/find <text> [count]',
      '/similar',
      '/more',
      '/reindex',
      '/status',
      '/help',
      '/index <folder>',
    ]) {
      expect(help).toContain(command);
    }
    expect(out.get('/bogus')![0]).toMatch(/^error: Unknown command \/bogus\. Try \/find/);
    expect(out.get('hello')![0]).toMatch(/^error: hello: commands start with a slash/);
  });

  it('answers one-shot searches from the shell: JSON best first, and human lines', async () => {
    const env = isolatedEnv(data.dir);
    const found = await runCli(['find', 'a photo of a cat', '--count', '2', '--json', '--all'], env);
    expect(found.code).toBe(0);
    const json = JSON.parse(found.stdout) as {
      hits: {
        image_id: string;
        image_name: string;
        relative_path: string;
        score: number;
        date_kind: string;
      }[];
      cut: number;
      low_confidence: boolean;
    };
    expect(json.hits).toHaveLength(2);
    expect(Object.keys(json.hits[0]!)).toEqual(
      expect.arrayContaining([
        'image_id',
        'image_name',
        'relative_path',
        'score',
        'date',
        'date_kind',
        'near_copies',
      ]),
    );
    expect(json.hits[0]!.date_kind).toBe('modified'); // files without EXIF: when they last changed
    expect(json).toMatchObject({ cut: 0, low_confidence: false });
    expect(json.hits[0]!.score).toBeGreaterThanOrEqual(json.hits[1]!.score);

    // Filters inside the search, through the one query grammar: a bad one is named.
    const pngs = await runCli(['find', 'a photo', '--type', 'png', '--json', '--all', '-n', '20'], env);
    expect((JSON.parse(pngs.stdout) as typeof json).hits).toEqual([]);
    const none = await runCli(['find', 'a photo', '--after', '2099'], env);
    expect(none.stdout).toBe('No images match those filters.\n');
    const badDate = await runCli(['find', 'a photo', '--after', '2024-13-01'], env);
    expect(badDate.code).not.toBe(0);
    expect(badDate.stderr).toContain('after:2024-13-01: is not a date');

    const similar = await runCli(['similar', path.join(photos.dir, 'photo-coffee.jpg'), '--json'], env);
    const hits = (JSON.parse(similar.stdout) as typeof json).hits;
    expect(hits[0]).toMatchObject({ image_name: 'photo-coffee.jpg', relative_path: 'photo-coffee.jpg' });
    expect(hits[0]!.score).toBeGreaterThan(0.999);

    const human = await runCli(['similar', path.join(photos.dir, 'photo-coffee.jpg'), '-n', '1'], env);
    // The same photo, then a note: the cut, relative to the best other photo, leaves out those far below it.
    expect(human.stdout).toMatch(
      /^1\. 1\.000 {2}photo-coffee\.jpg\n2 weaker matches left out \(--all shows them\)\n$/,
    );
    const elsewhere = await runCli(
      ['find', 'cat', '--tenant', 'guild-9', '--json'],
      isolatedEnv(data.dir, { LOOKALIKE_INCLUDE_SHARED: 'false' }),
    );
    expect(JSON.parse(elsewhere.stdout)).toEqual({ hits: [], cut: 0, low_confidence: false });
    const bad = await runCli(['find', 'cat', '--count', '0'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('must be a whole number from 1 to 100');
    expect(existsSync(path.join(data.dir, 'sources.json'))).toBe(true);
  }, 60_000);
});

describe('lookalike start and signals', () => {
  it('shuts down cleanly on SIGTERM while waiting for input', async () => {
    const data = await tempDir();
    try {
      const run = startCli(['start'], isolatedEnv(data.dir));
      await expect
        .poll(() => run.output().stdout, { timeout: 30_000, interval: 100 })
        .toContain('Images searchable here');
      run.child.kill('SIGTERM');
      const result = await run.exited;
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('shutting down (SIGTERM)');
    } finally {
      await data.remove();
    }
  });
});
