import { download, type DownloadSettings } from '../net/download.js';

export interface ImageDownloadLimits extends DownloadSettings {
  /** Host names images may come from; `*.example.com` also allows its subdomains. */
  allowedHosts: string[];
  signal?: AbortSignal;
}

/** True when the URL's host is on the list (exactly, or under a `*.` entry). */
export function isAllowedHost(url: URL, allowedHosts: string[]): boolean {
  const host = url.hostname.toLowerCase();
  return allowedHosts.some((entry) => {
    const allowed = entry.toLowerCase();
    return allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed;
  });
}

/**
 * Downloads an image a user pointed at, from the allowed hosts only (redirects included), within the
 * byte cap and time limit; every refusal is an InputError naming the URL and the reason.
 */
export async function downloadImage(address: string, limits: ImageDownloadLimits): Promise<Buffer> {
  const { allowedHosts, ...rest } = limits;
  const hint =
    allowedHosts.length === 0
      ? 'no hosts are allowed (LOOKALIKE_ALLOWED_IMAGE_HOSTS is empty): attach the image instead'
      : `allowed hosts: ${allowedHosts.join(', ')}`;
  const { bytes } = await download(address, {
    ...rest,
    hosts: {
      allows: (url) => isAllowedHost(url, allowedHosts),
      refusal: (url) => `images are not fetched from ${url.hostname}; ${hint}`,
    },
  });
  return bytes;
}
