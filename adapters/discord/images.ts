import path from 'node:path';
import type { Attachment, Message } from 'discord.js';
import { fileTypeFromBuffer } from 'file-type';
import { downloadImage } from '../../src/search/image-url.js';
import { InputError } from '../../src/util/errors.js';

/** Discord's own file hosts: attachments, and the media proxy that also serves embedded images. */
export const discordFileHosts = ['cdn.discordapp.com', 'media.discordapp.net'];

/** An image somebody pointed at in Discord, as Discord describes it (nothing downloaded yet). */
export interface DiscordImage {
  name: string;
  url: string;
  /** Declared by Discord for attachments; absent for embeds. */
  size?: number;
  contentType?: string;
}

export interface ImageLimits {
  maxBytes: number;
  timeoutMs: number;
}

export function imageOfAttachment(attachment: Attachment): DiscordImage {
  return {
    name: attachment.name,
    url: attachment.url,
    size: attachment.size,
    ...(attachment.contentType ? { contentType: attachment.contentType } : {}),
  };
}

const looksLikeImage = (name: string) => /\.(jpe?g|png|gif|webp|avif|bmp|tiff?)$/i.test(name);

/**
 * The first image of a message: an image attachment, else an embed's image or thumbnail. Embeds prefer
 * Discord's media proxy copy (`proxyURL`), so a link preview of another site is still fetched from Discord.
 */
export function imageOfMessage(message: Message): DiscordImage | undefined {
  const attachment = message.attachments.find((a) =>
    a.contentType ? a.contentType.startsWith('image/') : looksLikeImage(a.name),
  );
  if (attachment) return imageOfAttachment(attachment);
  for (const embed of message.embeds) {
    const picture = embed.image ?? embed.thumbnail;
    const url = picture?.proxyURL ?? picture?.url;
    if (url) return { name: path.posix.basename(new URL(url).pathname) || 'image', url };
  }
  return undefined;
}

/** What can be refused before downloading: a host that is not Discord's, a declared size or type that is wrong. */
export function checkImage(image: DiscordImage, limits: ImageLimits): void {
  let url: URL;
  try {
    url = new URL(image.url);
  } catch {
    throw new InputError(image.name, 'its link is not a valid URL');
  }
  if (url.protocol !== 'https:' || !discordFileHosts.includes(url.hostname) || url.port !== '') {
    throw new InputError(
      image.name,
      `it is hosted on ${url.host || 'an unknown host'}, and I only fetch images from Discord itself ` +
        `(${discordFileHosts.join(', ')}). Upload the picture to Discord and try again`,
    );
  }
  if (image.contentType !== undefined && !image.contentType.startsWith('image/')) {
    throw new InputError(image.name, `it is a ${image.contentType.split(';')[0]} file, not an image`);
  }
  if (image.size !== undefined && image.size > limits.maxBytes) {
    throw new InputError(image.name, `it is ${mib(image.size)}; the limit is ${mib(limits.maxBytes)}`);
  }
}

/** Downloads a checked image from Discord's CDN (capped, timed) and makes sure the bytes are a picture. */
export async function fetchImage(
  image: DiscordImage,
  limits: ImageLimits,
): Promise<{ name: string; bytes: Buffer }> {
  checkImage(image, limits);
  const bytes = await downloadImage(image.url, { allowedHosts: discordFileHosts, ...limits }).catch(
    (error) => {
      // The downloader names the signed CDN URL; people know the file by its name.
      throw error instanceof InputError ? new InputError(image.name, error.reason) : error;
    },
  );
  const type = await fileTypeFromBuffer(bytes);
  if (!type?.mime.startsWith('image/')) {
    throw new InputError(
      image.name,
      `its content is ${type ? `a ${type.mime} file` : 'not an image I can read'}`,
    );
  }
  return { name: image.name, bytes };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
