import path from 'node:path';
import { sniffImageFormat } from '../model/image-bytes.js';
import { InputError } from '../util/errors.js';

/** Bytes file-type needs to recognise any format it knows. */
export const sniffBytes = 4100;

/**
 * Not an error: an input the indexer passes over on purpose (a sidecar or video in a photo folder, a
 * symlink leading out of the root). Counted and listed as skipped, never as failed.
 */
export class SkippedInput extends InputError {
  constructor(input: string, reason: string) {
    super(input, reason);
    this.name = 'SkippedInput';
  }
}

const imageExtensions = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.gif', '.webp', '.tif', '.tiff', '.avif',
  '.heic', '.heif', '.bmp', '.svg', '.jxl', '.ico', '.jp2',
]); // prettier-ignore

/** Whether a name claims to be an image (then content that is not one is a failure, not a skip). */
export const hasImageExtension = (name: string) => imageExtensions.has(path.extname(name).toLowerCase());

/**
 * Throws when the leading bytes `head` are not an image the model reads (judged by content, the way the
 * model's own check judges it): SkippedInput when the name does not claim to be an image either (only when
 * `skipUnlessImageName`), otherwise InputError.
 */
export async function checkImageContent(
  input: string,
  head: Buffer,
  options: { skipUnlessImageName: boolean },
): Promise<void> {
  try {
    await sniffImageFormat(input, head);
  } catch (error) {
    if (error instanceof InputError && options.skipUnlessImageName && !hasImageExtension(input)) {
      throw new SkippedInput(input, error.reason);
    }
    throw error;
  }
}
