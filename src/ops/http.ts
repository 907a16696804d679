import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config/load.js';
import type { Logger } from '../util/log.js';
import type { Metrics } from './metrics.js';
import type { PartStatus } from './status.js';

export interface OpsServerOptions {
  host: string;
  port: number;
  metrics: Metrics;
  logger: Logger;
  /** Each part's readiness (model, store, every configured platform); /readyz is 200 only when all are ready. */
  readiness(): Promise<Record<string, PartStatus>>;
}

export interface OpsServer {
  address(): AddressInfo;
  /** From now on /readyz answers 503 "shutting down" (the other endpoints keep answering until close). */
  draining(): void;
  close(): Promise<void>;
}

/**
 * The ops listener (LOOKALIKE_HTTP_PORT on LOOKALIKE_HTTP_HOST): `/healthz` (the process answers),
 * `/readyz` (JSON per part: model, store, platforms) and `/metrics` (Prometheus text format).
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  let shuttingDown = false;
  const json = (status: number, body: unknown) => ({
    status,
    type: 'application/json',
    body: JSON.stringify(body),
  });
  const answer = async (path: string) => {
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const parts = await options.readiness();
      if (shuttingDown) parts.process = { ready: false, state: 'shutting down' };
      const ready = Object.values(parts).every((p) => p.ready);
      return json(ready ? 200 : 503, { ready, parts });
    }
    if (path === '/metrics') {
      return {
        status: 200,
        type: options.metrics.registry.contentType,
        body: await options.metrics.registry.metrics(),
      };
    }
    return json(404, { error: 'not found: try /healthz, /readyz or /metrics' });
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://ops').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    answer(path).then(
      ({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        options.logger.error('ops listener: answer failed', { path, error });
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal error"}');
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? `port ${options.port} on ${options.host} is already in use`
          : error.code === 'EADDRNOTAVAIL'
            ? `${options.host} is not an address of this machine`
            : `cannot listen on ${options.host}:${options.port} (${error.code ?? error.message})`;
      const key = error.code === 'EADDRNOTAVAIL' ? 'LOOKALIKE_HTTP_HOST' : 'LOOKALIKE_HTTP_PORT';
      reject(new ConfigError([{ key, message: why }]));
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  options.logger.info('ops listener ready', {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    endpoints: ['/healthz', '/readyz', '/metrics'],
  });
  return {
    address: () => address,
    draining: () => void (shuttingDown = true),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** A part's readiness from a check that must finish within `timeoutMs` (a hung store is not ready). */
export async function checkWithin(timeoutMs: number, check: () => Promise<PartStatus>): Promise<PartStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check(),
      new Promise<PartStatus>((resolve) => {
        timer = setTimeout(
          () => resolve({ ready: false, state: 'unreachable', detail: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    return {
      ready: false,
      state: 'unreachable',
      detail: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}
