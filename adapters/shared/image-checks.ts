import { fileTypeFromBuffer } from 'file-type';
import { InputError } from '../../src/util/errors.js';
import { mib } from '../../src/util/size.js';

/** What a chat platform says about a file before it is downloaded. */
export interface DeclaredFile {
  contentType?: string | undefined;
  size?: number | undefined;
}

/** Refuses a chat file by what the platform declares (type, size), before anything is downloaded. */
export function checkDeclaredImage(name: string, file: DeclaredFile, maxBytes: number): void {
  if (file.contentType !== undefined && !file.contentType.startsWith('image/')) {
    throw new InputError(name, `it is a ${file.contentType.split(';')[0]} file, not an image`);
  }
  if (file.size !== undefined && file.size > maxBytes) {
    throw new InputError(name, `it is ${mib(file.size)}; the limit is ${mib(maxBytes)}`);
  }
}

/** Refuses downloaded bytes that are no image, whatever the platform declared. */
export async function checkImageBytes(name: string, bytes: Buffer): Promise<void> {
  const type = await fileTypeFromBuffer(bytes);
  if (!type?.mime.startsWith('image/')) {
    throw new InputError(name, `its content is ${type ? `a ${type.mime} file` : 'not an image I can read'}`);
  }
}
