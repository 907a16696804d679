import exifr from 'exifr';
import { fileTypeFromBuffer } from 'file-type';

/** What an image's bytes say about it, besides its pixels. */
export interface ImageFacts {
  /** jpeg, png, gif, webp, tiff, avif, heif, bmp: from the content, never the name. */
  format?: string;
  /** When the picture was taken (EXIF DateTimeOriginal, else CreateDate), ms since the epoch. */
  takenAt?: number;
}

/**
 * The format and the EXIF capture time of an image. The camera's wall-clock time is read as UTC unless EXIF
 * gives its offset, so the same file gets the same date on every machine. Never throws: a file without EXIF
 * (or one exifr does not know) simply has no capture time.
 */
export async function imageFacts(bytes: Buffer): Promise<ImageFacts> {
  const type = await fileTypeFromBuffer(bytes).catch(() => undefined);
  const format = type?.mime.startsWith('image/') ? formatName(type.mime) : undefined;
  const takenAt = await captureTime(bytes);
  return { ...(format && { format }), ...(takenAt !== undefined && { takenAt }) };
}

const formatName = (mime: string): string => {
  const subtype = mime.slice('image/'.length);
  return subtype === 'heic' ? 'heif' : subtype;
};

async function captureTime(bytes: Buffer): Promise<number | undefined> {
  try {
    const tags = (await exifr.parse(bytes, {
      pick: ['DateTimeOriginal', 'CreateDate', 'OffsetTimeOriginal'],
      reviveValues: false,
    })) as Record<string, unknown> | undefined;
    const text = tags?.DateTimeOriginal ?? tags?.CreateDate;
    if (typeof text !== 'string') return undefined;
    const match = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(text);
    if (!match) return undefined;
    const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
    const offset = /^([+-])(\d{2}):(\d{2})$/.exec(String(tags?.OffsetTimeOriginal ?? ''));
    const offsetMs = offset
      ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000
      : 0;
    const time = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - offsetMs;
    // Cameras with an unset clock write 0000:00:00 or 1970: no date is better than a wrong one.
    return Number.isFinite(time) && y! >= 1990 ? time : undefined;
  } catch {
    return undefined;
  }
}
