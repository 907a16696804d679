import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Contact sheets kept in the folder; older ones are removed as new ones arrive. */
export const keptSheets = 50;

/** Sheets this module wrote: `<ISO time>-<slug>.jpg`, so that names sort oldest first. */
const sheetName = /^\d{4}-\d\d-\d\dT[\d-]+Z-[a-z0-9-]+\.jpg$/;

/**
 * Saves a contact sheet as `<sheetsDir>/<time>-<title>.jpg` for the person at the terminal to open, then
 * removes the oldest sheets beyond `keep`, so the folder never grows without bound. Returns the file's path.
 */
export async function saveSheet(
  bytes: Buffer,
  title: string,
  sheetsDir: string,
  keep = keptSheets,
): Promise<string> {
  await mkdir(sheetsDir, { recursive: true });
  const slug =
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'results';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(sheetsDir, `${stamp}-${slug}.jpg`);
  await writeFile(file, bytes);
  const sheets = (await readdir(sheetsDir))
    .filter((name) => sheetName.test(name) && name !== path.basename(file))
    .sort();
  const old = sheets.slice(0, Math.max(0, sheets.length + 1 - keep));
  await Promise.all(old.map((name) => rm(path.join(sheetsDir, name), { force: true })));
  return file;
}
