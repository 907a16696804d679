import path from 'node:path';
import type { Attachment, Message } from 'discord.js';
import { download, type DownloadSettings } from '../../src/net/download.js';
import { InputError } from '../../src/util/errors.js';
import { checkDeclaredImage, checkImageBytes } from '../shared/image-checks.js';

/** Discord's own file hosts: attachments, and the media proxy that also serves embedded images. */
export const discordFileHosts = ['cdn.discordapp.com', 'media.discordapp.net'];

const isDiscordFileHost = (url: URL) =>
  url.protocol === 'https:' && discordFileHosts.includes(url.hostname) && url.port === '';

/** Images are fetched from Discord itself only, redirects included. */
const discordHosts = {
  allows: isDiscordFileHost,
  refusal: (url: URL) =>
    `it is hosted on ${url.host || 'an unknown host'}, and I only fetch images from Discord itself ` +
    `(${discordFileHosts.join(', ')}). Upload the picture to Discord and try again`,
};

/** An image somebody pointed at in Discord, as Discord describes it (nothing downloaded yet). */
export interface DiscordImage {
  name: string;
  url: string;
  /** Declared by Discord for attachments; absent for embeds. */
  size?: number;
  contentType?: string;
}

export type ImageLimits = DownloadSettings;

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
  if (!discordHosts.allows(url)) throw new InputError(image.name, discordHosts.refusal(url));
  checkDeclaredImage(image.name, image, limits.maxBytes);
}

/** The message refusing the image before any download (see checkImage), or undefined when it may be fetched. */
export function imageRefusal(image: DiscordImage, limits: ImageLimits): string | undefined {
  try {
    checkImage(image, limits);
    return undefined;
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
}

/** Downloads a checked image from Discord's CDN (capped, timed) and makes sure the bytes are a picture. */
export async function fetchImage(
  image: DiscordImage,
  limits: ImageLimits,
): Promise<{ name: string; bytes: Buffer }> {
  checkImage(image, limits);
  // Named by the file, not the signed CDN URL: people know the file by its name.
  const { bytes } = await download(image.url, { ...limits, name: image.name, hosts: discordHosts });
  await checkImageBytes(image.name, bytes);
  return { name: image.name, bytes };
}
