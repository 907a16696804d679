import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The request being handled: its id (from the platform event) and platform, carried to every log line. */
export interface RequestScope {
  requestId: string;
  platform: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/**
 * Runs `work` as part of one request: every log line written meanwhile, down to the reply's delivery, carries
 * its `requestId` and `platform`. The id is the platform's own (an interaction or event id) when there is one.
 */
export function withRequest<T>(scope: { requestId?: string; platform: string }, work: () => T): T {
  return storage.run({ requestId: scope.requestId ?? randomUUID(), platform: scope.platform }, work);
}

/** The request being handled here, if any. */
export const currentRequest = (): RequestScope | undefined => storage.getStore();
