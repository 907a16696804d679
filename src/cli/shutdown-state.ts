/**
 * Whether `lookalike start` is shutting down (set once SIGTERM, SIGINT or a fatal error began the clean stop), for
 * the top-level error handler in main.ts: an error thrown by a connection being torn down then does not turn a
 * clean stop into a crash.
 */
export const shutdown = { inProgress: false };
