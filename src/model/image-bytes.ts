import { readFile, stat } from 'node:fs/promises';
import { fileTypeFromBuffer } from 'file-type';
import { InputError } from '../util/errors.js';
import { mib } from '../util/size.js';
import type { ImageInput } from './types.js';

/** The bytes of an image input, refusing anything over `maxBytes` before reading it whole. */
export async function readImageBytes(input: ImageInput, maxBytes: number): Promise<Buffer> {
  const tooLarge = (size: number) =>
    new InputError(input.name, `too large: ${mib(size)} (limit ${mib(maxBytes)}, LOOKALIKE_MAX_IMAGE_BYTES)`);
  if ('bytes' in input) {
    if (input.bytes.length > maxBytes) throw tooLarge(input.bytes.length);
    return input.bytes;
  }
  try {
    const info = await stat(input.path);
    if (!info.isFile()) throw new InputError(input.name, 'not a file');
    if (info.size > maxBytes) throw tooLarge(info.size);
    const bytes = await readFile(input.path);
    if (bytes.length > maxBytes) throw tooLarge(bytes.length); // grew since stat
    return bytes;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      input.name,
      code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? error})`,
    );
  }
}

/** Raster formats the bundled libvips decodes; anything else is refused before it reaches the decoder. */
const decodable = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif']);

const looksLikeSvg = (bytes: Buffer) =>
  /^(\uFEFF)?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(
    bytes.subarray(0, 2048).toString('utf8'),
  );

/**
 * The image format judged from the content (never the name). SVG is refused on purpose: rendering it can
 * fetch external resources and its pixel size is whatever the file says, and the reference pipeline (PIL)
 * cannot read it either.
 */
export async function sniffImageFormat(name: string, bytes: Buffer): Promise<string> {
  if (bytes.length === 0) throw new InputError(name, 'empty file (0 bytes)');
  const type = await fileTypeFromBuffer(bytes);
  if (type && decodable.has(type.mime)) return type.mime;
  if ((!type || type.mime === 'application/xml') && looksLikeSvg(bytes)) {
    throw new InputError(
      name,
      'SVG is not accepted (vector graphics can load external resources): convert it to PNG',
    );
  }
  if (type?.mime.startsWith('image/')) {
    throw new InputError(
      name,
      `unsupported image format ${type.mime} (JPEG, PNG, WebP, GIF, TIFF and AVIF are read)`,
    );
  }
  throw new InputError(
    name,
    `not an image (${type ? `the content is ${type.mime}` : 'no known image format'})`,
  );
}
