// A local stand-in for the Hugging Face hub on 127.0.0.1, serving fixture folders the way the hub does:
// `/<repo>/resolve/main/<path>` answers LFS files (*.onnx) with a redirect carrying X-Linked-ETag (sha256) and
// X-Linked-Size, and other files directly with their git blob sha1 as ETag; the "CDN" honours Range requests.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface HubServerOptions {
  /** repo name (owner/name) -> local folder */
  repos: Record<string, string>;
  /** Paths whose advertised checksum is wrong. */
  wrongChecksum?: Set<string>;
  /** Paths whose first full transfer stops halfway (the connection is dropped). */
  dropOnce?: Set<string>;
  /** Answer Range requests with the whole file (200), as some proxies do. */
  ignoreRange?: boolean;
}

export interface HubServer {
  url: string;
  /** Every request: path and Range header. */
  requests: { path: string; range?: string }[];
  close(): Promise<void>;
}

const sha = (algorithm: string, ...parts: (string | Buffer)[]) => {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};
const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const requests: HubServer['requests'] = [];
  const dropped = new Set<string>();

  const load = async (repo: string, file: string) => {
    const root = options.repos[repo];
    if (!root || file.includes('..')) return undefined;
    return readFile(path.join(root, file)).catch(() => undefined);
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://hub');
      requests.push({ path: url.pathname, range: req.headers.range });
      const hub = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
      const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
      const [repo, file] = hub ? [hub[1], hub[2]] : cdn ? [cdn[1], cdn[2]] : [];
      const bytes = repo && file ? await load(repo, file) : undefined;
      if (!bytes || !file) {
        res.writeHead(404).end('Entry not found');
        return;
      }
      const wrong = options.wrongChecksum?.has(file);
      if (hub && file.endsWith('.onnx')) {
        const sha256 = sha('sha256', bytes);
        res
          .writeHead(302, {
            location: `/cdn/${repo}/${file}`,
            'x-linked-etag': `"${wrong ? flip(sha256) : sha256}"`,
            'x-linked-size': String(bytes.length),
          })
          .end();
        return;
      }
      const etag = hub ? sha('sha1', `blob ${bytes.length}\0`, bytes) : sha('sha256', bytes);
      serveBytes(req, res, bytes, `"${hub && wrong ? flip(etag) : etag}"`, file);
    })();
  });

  function serveBytes(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    bytes: Buffer,
    etag: string,
    file: string,
  ) {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range && !options.ignoreRange ? Number(range[1]) : 0;
    if (start >= bytes.length && start > 0) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
      return;
    }
    const headers = { etag, 'content-length': String(bytes.length - start), 'accept-ranges': 'bytes' };
    if (start > 0) {
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`,
      });
    } else res.writeHead(200, headers);
    if (options.dropOnce?.has(file) && !dropped.has(file)) {
      dropped.add(file);
      // FIN after the half: the client sees exactly that much, then a connection closed early.
      res.write(bytes.subarray(start, start + Math.floor((bytes.length - start) / 2)), () =>
        res.socket?.end(),
      );
      return;
    }
    res.end(bytes.subarray(start));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
