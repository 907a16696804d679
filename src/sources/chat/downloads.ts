import Bottleneck from 'bottleneck';

/**
 * Shared by every history walk of one process: file hosts see at most `maxConcurrent` downloads at once
 * and no more than `perSecond` new ones each second, however many channels are being indexed.
 */
export function createDownloadLimiter(options: { maxConcurrent?: number; perSecond?: number } = {}) {
  const perSecond = options.perSecond ?? 20;
  const limiter = new Bottleneck({
    maxConcurrent: options.maxConcurrent ?? 4,
    minTime: Math.ceil(1000 / perSecond),
  });
  return <T>(download: () => Promise<T>): Promise<T> => limiter.schedule(download);
}

export type DownloadLimiter = ReturnType<typeof createDownloadLimiter>;
