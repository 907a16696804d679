import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { withRequest } from '../../src/util/request-context.js';

/**
 * Slack delivers an Events API event again when it thinks the first delivery failed (slow answer, a
 * reconnect), with the same `event_id` and `X-Slack-Retry-Num`. Each event is handled once: a repeat seen
 * within `ttlMs` is acknowledged (Bolt acknowledges events itself) and dropped.
 */
export function onceEachEvent(ttlMs = 10 * 60_000): Middleware<AnyMiddlewareArgs> {
  const seen = new Map<string, number>();
  return async ({ body, next }) => {
    const id = (body as { event_id?: unknown }).event_id;
    if (typeof id === 'string') {
      const now = Date.now();
      for (const [key, at] of seen) {
        if (now - at < ttlMs) break; // insertion order is arrival order: the rest are newer
        seen.delete(key);
      }
      if (seen.has(id)) return;
      seen.set(id, now);
    }
    await next();
  };
}

/**
 * Every log line written while a Slack request is handled (listener, command, reply) carries one request id:
 * the event's `event_id`, or the `trigger_id` of a command, shortcut or button press.
 */
export function requestScope(): Middleware<AnyMiddlewareArgs> {
  return async ({ body, next }) => {
    const fields = body as { event_id?: unknown; trigger_id?: unknown };
    const id = [fields.event_id, fields.trigger_id].find((v): v is string => typeof v === 'string');
    await withRequest({ ...(id ? { requestId: id } : {}), platform: 'slack' }, next);
  };
}
