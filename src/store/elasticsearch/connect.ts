import { readFileSync } from 'node:fs';
import { Client, ClusterConnectionPool, type ClientOptions } from '@elastic/elasticsearch';
import type { Config } from '../../config/schema.js';
import { ServiceError } from '../../util/errors.js';
import { toServiceError } from './errors.js';
import { serverFeatures, type ServerFeatures } from './version.js';

export interface Connection {
  client: Client;
  /** Where the server is, for messages: the URL without credentials, or the Cloud ID's name. */
  target: string;
  features: ServerFeatures;
}

/** The node URLs of ELASTICSEARCH_URL: one, or every node of a cluster the client may spread requests over. */
export function nodeUrls(config: Config): string[] {
  return (config.ELASTICSEARCH_URL ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** The URLs with any user:password removed, safe for messages and logs. */
export function describeTarget(config: Config): string {
  const nodes = nodeUrls(config);
  if (nodes.length > 0) {
    return nodes
      .map((node) => {
        const url = new URL(node);
        url.username = '';
        url.password = '';
        return url.origin + url.pathname.replace(/\/$/, '');
      })
      .join(',');
  }
  const cloudName = config.ELASTICSEARCH_CLOUD_ID?.split(':')[0];
  return `Elastic Cloud deployment "${cloudName ?? '?'}"`;
}

function readCaCert(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ServiceError(
      'elasticsearch',
      `ELASTICSEARCH_CA_CERT: cannot read ${path} (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}

/** Kibana shows API keys encoded; some tools give `id:api_key`. Accept both. */
function apiKey(value: string): string | { id: string; api_key: string } {
  const colon = value.indexOf(':');
  return colon > 0 ? { id: value.slice(0, colon), api_key: value.slice(colon + 1) } : value;
}

export function clientOptions(config: Config): ClientOptions {
  const { ELASTICSEARCH_CLOUD_ID: cloudId } = config;
  const nodes = nodeUrls(config);
  if (nodes.length === 0 && !cloudId) {
    throw new ServiceError(
      'elasticsearch',
      'set ELASTICSEARCH_URL or ELASTICSEARCH_CLOUD_ID to use the Elasticsearch store',
    );
  }
  const auth = config.ELASTICSEARCH_API_KEY
    ? { apiKey: apiKey(config.ELASTICSEARCH_API_KEY) }
    : config.ELASTICSEARCH_USERNAME
      ? { username: config.ELASTICSEARCH_USERNAME, password: config.ELASTICSEARCH_PASSWORD ?? '' }
      : undefined;
  return {
    ...(nodes.length > 0 ? { nodes } : { cloud: { id: cloudId as string } }),
    // Several nodes: requests rotate over the live ones; one that fails is set aside and pinged again later
    // (after 1 min, then longer). The client's default weighted pool never tries again once every node
    // failed, so a bot would stay "unavailable" after a full cluster restart (elastic/elasticsearch-js#1714);
    // this pool tries all of them whenever none is known to be alive.
    ...(nodes.length > 1 ? { ConnectionPool: ClusterConnectionPool } : {}),
    ...(auth ? { auth } : {}),
    tls: {
      ...(config.ELASTICSEARCH_CA_CERT ? { ca: readCaCert(config.ELASTICSEARCH_CA_CERT) } : {}),
      rejectUnauthorized: config.ELASTICSEARCH_TLS_VERIFY,
    },
    requestTimeout: 60_000,
    maxRetries: 3,
  };
}

/** How long the first request may take, whatever the connection does meanwhile. */
export const connectTimeoutMs = 15_000;

/**
 * Creates the client and asks the server who it is, so a wrong address, key or version fails at start.
 * The question has an outer deadline of its own: behind a proxy or load balancer that accepts connections
 * and drops them, the client's connection may never settle, and `find`, `index` and `start` would hang.
 */
export async function connect(config: Config, options: Partial<ClientOptions> = {}): Promise<Connection> {
  const target = describeTarget(config);
  const client = new Client({ ...clientOptions(config), ...options });
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      deadline.abort();
      reject(
        new ServiceError(
          'elasticsearch',
          `Elasticsearch at ${target} did not answer within ${connectTimeoutMs / 1000} s ` +
            '(the connection was accepted or is pending, but no reply came): check ELASTICSEARCH_URL and ' +
            'that a node is running behind it',
        ),
      );
    }, connectTimeoutMs);
  });
  try {
    // No retries here: an unreachable server should be reported at once, not after backoff.
    const info = await Promise.race([
      client.info({}, { maxRetries: 0, requestTimeout: connectTimeoutMs, signal: deadline.signal }),
      late,
    ]);
    return { client, target, features: serverFeatures(info.version.number) };
  } catch (err) {
    // Closing waits for pending requests; a dropped one may never end, so the close is not awaited then.
    const closed = client.close().catch(() => undefined);
    if (!deadline.signal.aborted) await closed;
    if (err instanceof ServiceError) throw err;
    throw toServiceError(err, 'connect', target);
  } finally {
    clearTimeout(timer);
  }
}
