import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Bot } from '../../src/bot/types.js';
import { createTestBot, indexFolder, photoFolder, photoNames } from '../helpers/bot.js';

/** Decodable fixture images indexed besides the four photos, so results run to several pages. */
const extraImages = [
  'grayscale.jpg',
  'cmyk.jpg',
  'tiny-8x8.png',
  'rgba-transparent.png',
  'exif-orientation-6.jpg',
  'panorama-4000x300.jpg',
];
export const indexedCount = photoNames.length + extraImages.length;

export interface SlackTestBot {
  bot: Bot;
  close(): Promise<void>;
}

/**
 * A real bot (tiny CLIP fixture, embedded store) whose workspace `tenant` has a folder of the fixture images
 * indexed the way `lookalike index` does it, so /reindex finds it too. `copies` adds renamed copies of every
 * image (longer indexing runs; identical copies are stored once).
 */
export async function startTestBot(
  tenant: string,
  options: { env?: Record<string, string>; copies?: number } = {},
): Promise<SlackTestBot> {
  const test = await createTestBot({ env: { LOOKALIKE_INCLUDE_SHARED: 'false', ...options.env } });
  const folder = await photoFolder(extraImages);
  const names = await readdir(folder.dir);
  for (let copy = 1; copy < (options.copies ?? 1); copy++) {
    await Promise.all(
      names.map((n) => copyFile(path.join(folder.dir, n), path.join(folder.dir, `${copy}-${n}`))),
    );
  }
  await indexFolder(test, folder.dir, tenant);
  return {
    bot: test.bot,
    async close() {
      await test.close();
      await folder.remove();
    },
  };
}
