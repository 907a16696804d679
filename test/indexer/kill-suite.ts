// `lookalike index` killed with SIGKILL after its first batch is written, then run again: the index must end
// exactly as an uninterrupted run leaves it (same documents, same other_paths). Each backend's file runs it.
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSource } from '../../src/indexer/index-source.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { folderSourceId, openFolderSource } from '../../src/sources/folder.js';
import { tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli, startCli } from '../helpers/cli.js';
import { openTestStore, sliceState, backendConfig, type Backend, type TestStore } from './helpers/stores.js';
import { generatedFolder, variantJpeg } from './helpers/tree.js';

const args = (root: string) => ['index', root, '--batch', '4', '--concurrency', '2'];

export const killSuite = (backend: Backend) =>
  describe(`lookalike index killed mid-run (${backend} store)`, () => {
    let folder: Awaited<ReturnType<typeof generatedFolder>>;
    let data: Awaited<ReturnType<typeof tempDir>>;
    let embedder: Embedder;
    const opened: TestStore[] = [];

    beforeAll(async () => {
      folder = await generatedFolder(60, 8);
      data = await tempDir();
      embedder = await openEmbedder(backendConfig('embedded', data.dir));
    });
    afterAll(async () => {
      await embedder?.close();
      for (const test of opened) await test.close();
      await folder?.remove();
      await data?.remove();
    });

    /** An index of its own: a data folder, and for Elasticsearch an alias. */
    const target = async (name: string) => {
      const dir = path.join(data.dir, name);
      const config = backendConfig(backend, dir);
      const env = isolatedEnv(dir, {
        LOG_LEVEL: 'debug',
        ...(backend === 'elasticsearch' && {
          LOOKALIKE_STORE: 'elasticsearch',
          ELASTICSEARCH_URL: config.ELASTICSEARCH_URL as string,
          LOOKALIKE_INDEX: config.LOOKALIKE_INDEX,
        }),
      });
      const test = await openTestStore(backend, dir, config);
      opened.push(test);
      const state = async () => {
        await test.refresh();
        return sliceState(test.store, '*', folderSourceId(folder.root));
      };
      /** An uninterrupted run, in this process. */
      const index = async () => {
        const source = await openFolderSource({ root: folder.root, tenant: '*', maxBytes: 50_000_000 });
        await indexSource({ source, store: test.store, embedder, batchSize: 4, concurrency: 2 });
      };
      /** The run after the kill, by the command again. */
      const rerun = async () => {
        const result = await runCli(args(folder.root), env);
        expect(result.code, result.stderr).toBe(0);
      };
      /** Starts a run and kills it (SIGKILL) as soon as it says it wrote its first batch. */
      const killed = async () => {
        const run = startCli(args(folder.root), env);
        await new Promise<void>((resolve, reject) => {
          const watch = () => {
            if (/wrote \d+ documents/.test(run.output().stderr)) {
              run.child.kill('SIGKILL');
              resolve();
            }
          };
          run.child.stderr.on('data', watch);
          run.exited.then(
            () => reject(new Error(`it ended before it was killed:\n${run.output().stderr}`)),
            reject,
          );
        });
        const result = await run.exited;
        expect(result.code).toBeNull();
        expect(run.child.signalCode).toBe('SIGKILL');
      };
      return { state, index, rerun, killed };
    };

    it('ends, after a killed first run and a second run, as one uninterrupted run does', async () => {
      const interrupted = await target('first-killed');
      const clean = await target('first-clean');
      await interrupted.killed();
      const partial = await interrupted.state();
      await interrupted.rerun();
      await clean.index();
      const expected = await clean.state();
      expect(partial.length).toBeLessThan(expected.length);
      expect(expected.filter((line) => !line.endsWith('[]')).length).toBeGreaterThan(0); // duplicates were merged
      expect(await interrupted.state()).toEqual(expected);
    });

    it('ends as an uninterrupted run does when killed amid changes, deletions and duplicates', async () => {
      const interrupted = await target('changes-killed');
      const clean = await target('changes-clean');
      await interrupted.index();
      await clean.index();

      const [k0, k1, k2, k3, k4, k5] = folder.keys;
      // Deleted files, one of them the original of a copy (the copy takes over the document).
      await rm(path.join(folder.root, k0 as string));
      await rm(path.join(folder.root, 'copies/copy-0.jpg'));
      await rm(path.join(folder.root, k1 as string));
      // Changed content, and new files.
      await writeFile(path.join(folder.root, k2 as string), await variantJpeg(500));
      await writeFile(path.join(folder.root, k3 as string), await variantJpeg(501));
      await mkdir(path.join(folder.root, 'new'));
      for (let i = 0; i < 6; i++)
        await writeFile(path.join(folder.root, `new/n-${i}.jpg`), await variantJpeg(600 + i));
      // A copy whose key sorts first (it becomes the primary), and a file turned into a copy of another.
      await mkdir(path.join(folder.root, 'a-first'));
      await copyFile(path.join(folder.root, k4 as string), path.join(folder.root, 'a-first/copy.jpg'));
      await copyFile(path.join(folder.root, k5 as string), path.join(folder.root, folder.keys[6] as string));

      await interrupted.killed();
      await interrupted.rerun();
      await clean.index();
      expect(await interrupted.state()).toEqual(await clean.state());
    });
  });
