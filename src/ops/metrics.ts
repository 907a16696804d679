import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Embedder } from '../model/types.js';
import type { VectorStore } from '../store/types.js';
import { currentRequest } from '../util/request-context.js';

/** Latency buckets in seconds: from a cached text query (ms) to a slow reply near the command timeout. */
const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];

/**
 * lookalike's metrics (prom-client, Prometheus text format on the ops listener's /metrics). One registry per
 * process; `createMetrics` makes a separate one for tests that need a clean count.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lookalike_process_' });
  const sources = { queueDepth: () => 0 };
  const metrics = {
    registry,
    commands: new Counter({
      name: 'lookalike_commands_total',
      help: 'Commands handled, by platform, command and outcome (ok, bad_input, refused, rate_limited, busy, timeout, unavailable, failed)',
      labelNames: ['platform', 'command', 'outcome'] as const,
      registers: [registry],
    }),
    replySeconds: new Histogram({
      name: 'lookalike_reply_seconds',
      help: 'Time from a request reaching the bot core to its reply being ready, by platform and command',
      labelNames: ['platform', 'command'] as const,
      buckets: seconds,
      registers: [registry],
    }),
    textEmbeddingSeconds: new Histogram({
      name: 'lookalike_text_embedding_seconds',
      help: 'Time to embed one batch of texts',
      buckets: seconds,
      registers: [registry],
    }),
    imageEmbeddingSeconds: new Histogram({
      name: 'lookalike_image_embedding_seconds',
      help: 'Time to embed one batch of images (decode, preprocess, vision model)',
      buckets: seconds,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'lookalike_inference_batch_size',
      help: 'Inputs per inference batch, by kind (text, image)',
      labelNames: ['kind'] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    knnSeconds: new Histogram({
      name: 'lookalike_knn_seconds',
      help: 'Time of one kNN search in the store',
      buckets: seconds,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'lookalike_inference_queue_depth',
      help: 'Requests running or waiting in the inference queue',
      registers: [registry],
      collect() {
        this.set(sources.queueDepth());
      },
    }),
    rejected: new Counter({
      name: 'lookalike_rejected_requests_total',
      help: 'Requests refused before any work: rate_limited, busy (queue full), refused (permission, unknown command or option), shutting_down',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'lookalike_store_errors_total',
      help: 'Failed store operations, by operation',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    reconnects: new Counter({
      name: 'lookalike_platform_reconnects_total',
      help: 'Platform connections lost and re-established (Discord gateway resumes and reconnects, Slack socket reconnects)',
      labelNames: ['platform'] as const,
      registers: [registry],
    }),
    indexJobsRunning: new Gauge({
      name: 'lookalike_index_jobs_running',
      help: 'Indexing jobs running now',
      registers: [registry],
    }),
    indexedImages: new Counter({
      name: 'lookalike_indexed_images_total',
      help: 'Images handled by indexing jobs, by outcome (done, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    indexRate: new Gauge({
      name: 'lookalike_index_images_per_second',
      help: 'Images per second of the running indexing jobs (last progress report)',
      registers: [registry],
    }),
    /** Where the queue depth gauge reads from (the bot's inference queue). */
    setQueueDepthSource(read: () => number) {
      sources.queueDepth = read;
    },
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The process's metrics, shared by the bot core, the composition root and the ops listener. */
export const metrics = createMetrics();

/** The platform of the request being handled ("none" outside one). */
export const platformLabel = () => currentRequest()?.platform ?? 'none';

const timed = async <T>(histogram: Histogram, work: () => Promise<T>): Promise<T> => {
  const end = histogram.startTimer();
  try {
    return await work();
  } finally {
    end();
  }
};

/** The embedder with its batches timed and sized. */
export function measuredEmbedder(embedder: Embedder, m: Metrics = metrics): Embedder {
  return new Proxy(embedder, {
    get(target, key, receiver) {
      if (key === 'embedTexts') {
        return (texts: string[]) => {
          m.batchSize.observe({ kind: 'text' }, texts.length);
          return timed(m.textEmbeddingSeconds, () => target.embedTexts(texts));
        };
      }
      if (key === 'embedImages') {
        return (inputs: Parameters<Embedder['embedImages']>[0]) => {
          m.batchSize.observe({ kind: 'image' }, inputs.length);
          return timed(m.imageEmbeddingSeconds, () => target.embedImages(inputs));
        };
      }
      if (key === 'embedPrepared') {
        return (images: Parameters<Embedder['embedPrepared']>[0]) => {
          m.batchSize.observe({ kind: 'image' }, images.length);
          return timed(m.imageEmbeddingSeconds, () => target.embedPrepared(images));
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The store with kNN timed and every failed operation counted. */
export function measuredStore(store: VectorStore, m: Metrics = metrics): VectorStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => unknown;
      const operation = String(key);
      return (...args: unknown[]) => {
        const end = operation === 'knn' ? m.knnSeconds.startTimer() : undefined;
        let result: unknown;
        try {
          result = method.apply(target, args);
        } catch (error) {
          end?.();
          m.storeErrors.inc({ operation });
          throw error;
        }
        if (result instanceof Promise) {
          return result.then(
            (ok: unknown) => (end?.(), ok),
            (error: unknown) => {
              end?.();
              m.storeErrors.inc({ operation });
              throw error;
            },
          );
        }
        end?.();
        return result;
      };
    },
  });
}
