import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Bot } from '../../src/bot/types.js';
import { OcrEngine } from '../../src/ocr/engine.js';
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
const memeWithText = path.resolve(import.meta.dirname, '../fixtures/ocr/meme-000.jpg');

export interface SlackTestBot {
  bot: Bot;
  close(): Promise<void>;
}

/**
 * A real bot (tiny CLIP fixture, embedded store) whose workspace `tenant` has a folder of the fixture images
 * indexed the way `lookalike index` does it, so /reindex finds it too. `copies` adds renamed copies of every
 * image (longer indexing runs; identical copies are stored once). `readText` adds a meme that says "BRACE
 * YOURSELVES DEPLOYS ARE COMING" and reads the words in every image with the real OCR models.
 */
export async function startTestBot(
  tenant: string,
  options: { env?: Record<string, string>; copies?: number; readText?: boolean } = {},
): Promise<SlackTestBot> {
  const test = await createTestBot({ env: { LOOKALIKE_INCLUDE_SHARED: 'false', ...options.env } });
  const folder = await photoFolder(extraImages);
  if (options.readText) await copyFile(memeWithText, path.join(folder.dir, path.basename(memeWithText)));
  const names = await readdir(folder.dir);
  for (let copy = 1; copy < (options.copies ?? 1); copy++) {
    await Promise.all(
      names.map((n) => copyFile(path.join(folder.dir, n), path.join(folder.dir, `${copy}-${n}`))),
    );
  }
  const reader = options.readText ? await OcrEngine.open({ threads: 1 }) : undefined;
  try {
    await indexFolder(test, folder.dir, tenant, reader);
  } finally {
    await reader?.close();
  }
  return {
    bot: test.bot,
    async close() {
      await test.close();
      await folder.remove();
    },
  };
}
