// `lookalike index` as a user runs it: a child process with the tiny model and an embedded store.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexReport } from '../../src/indexer/types.js';
import { tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { fixtureTree, type FixtureTree } from './helpers/tree.js';

describe('lookalike index', () => {
  let tree: FixtureTree;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    tree = await fixtureTree();
    data = await tempDir();
    env = isolatedEnv(data.dir);
  });
  afterAll(async () => {
    await tree?.remove();
    await data?.remove();
  });

  it('refuses bad options, naming the option', async () => {
    const shard = await runCli(['index', tree.root, '--shard', '3/2'], env);
    expect(shard.code).not.toBe(0);
    expect(shard.stderr).toMatch(/--shard.*3\/2.*from 0 to 1/s);
    const batch = await runCli(['index', tree.root, '--batch', '0'], env);
    expect(batch.stderr).toMatch(/--batch must be a whole number from 1 to 256, got "0"/);
    const full = await runCli(['index', tree.root, '--full', '--shard', '0/2'], env);
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/--full.*cannot be combined with --shard/);
    const missing = await runCli(['index', path.join(tree.root, 'nope')], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope: does not exist/);
  });

  it('indexes, prints a summary with every failure, writes the report, records the source', async () => {
    const reportFile = path.join(data.dir, 'report.json');
    const result = await runCli(['index', tree.root, '--report', reportFile, '--batch', '4'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${tree.root} (shared with every tenant)`);
    expect(result.stdout).toContain(
      `${tree.goodKeys.length} new, 0 updated, 0 unchanged, 0 deleted, 6 failed, 3 skipped`,
    );
    for (const key of tree.badKeys.keys()) expect(result.stdout).toMatch(new RegExp(`^  ${key}: .+`, 'm'));
    expect(result.stdout).toMatch(/^ {2}escape\.jpg: symbolic link leading out of the folder/m);
    // Not a terminal: plain progress lines, no bar.
    expect(result.stderr).toContain(
      `Indexing ${tree.goodKeys.length + tree.badKeys.size + tree.skippedKeys.length} files`,
    );

    const report = JSON.parse(await readFile(reportFile, 'utf8')) as IndexReport;
    expect(report).toMatchObject({ source: `folder:${tree.root}`, tenant: '*', new: tree.goodKeys.length });
    expect(report.failed).toHaveLength(6);
    const sources = JSON.parse(await readFile(path.join(data.dir, 'sources.json'), 'utf8'));
    expect(sources.sources).toEqual([
      expect.objectContaining({
        id: `folder:${tree.root}`,
        kind: 'folder',
        tenant: '*',
        lastRun: expect.objectContaining({ failed: 6 }),
      }),
    ]);

    const again = await runCli(['index', tree.root, '--dry-run'], env);
    expect(again.stdout).toContain('[dry run: nothing written]');
    expect(again.stdout).toContain(`0 new, 0 updated, ${tree.goodKeys.length} unchanged`);
  });

  it('exits non-zero when nothing could be read', async () => {
    const list = path.join(data.dir, 'urls.txt');
    await writeFile(list, 'file:///etc/passwd\nhttp://127.0.0.1:1/nothing-listens.jpg\n');
    const result = await runCli(['index', list, '--tenant', 'guild-1'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('0 new, 0 updated, 0 unchanged, 0 deleted, 2 failed');
    expect(result.stdout).toMatch(/file:\/\/\/etc\/passwd: file: URLs are refused/);
  });

  it('works through scripts/index-images', async () => {
    const result = await runCli(['--help'], env);
    expect(result.stdout).toContain('index [options] <source>');
    const { execFile } = await import('node:child_process');
    const help = await new Promise<string>((resolve, reject) =>
      execFile(
        path.resolve(import.meta.dirname, '../../scripts/index-images'),
        ['--help'],
        { env },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    );
    expect(help).toMatch(/Usage: lookalike index \[options\] <source>/);
    expect(help).toContain('--keep-missing');
  });
});
