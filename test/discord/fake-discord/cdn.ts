import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeSelfSignedCertificate } from './cert.js';

/** Host names the fake CDN holds a certificate for: Discord's two file hosts and one that is not Discord's. */
export const cdnHosts = ['cdn.discordapp.com', 'media.discordapp.net', 'images.example.com'] as const;

export interface CdnRequest {
  host: string;
  path: string;
}

interface CdnFile {
  body: Buffer;
  contentType: string;
}

type Undici = typeof import('undici');

/**
 * Discord's CDN on 127.0.0.1 over real TLS. `installGlobally()` makes undici's global dispatcher send
 * connections for `cdnHosts` here (any other host connects as usual) while TLS still verifies the requested
 * host name against the self-signed certificate, so URLs stay exactly as in production
 * (https://cdn.discordapp.com/...) and the code under test keeps its real host checks.
 */
export class FakeCdn {
  readonly requests: CdnRequest[] = [];
  private readonly files = new Map<string, CdnFile>();
  private constructor(
    private readonly server: Server,
    private readonly cert: string,
  ) {}

  static async start(): Promise<FakeCdn> {
    const { cert, key } = makeSelfSignedCertificate([...cdnHosts]);
    const server = createServer({ cert, key });
    const cdn = new FakeCdn(server, cert);
    server.on('request', (req, res) => {
      const host = (req.headers.host ?? '').split(':')[0] ?? '';
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      cdn.requests.push({ host, path });
      const file = cdn.files.get(`${host}${path}`);
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res
        .writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length })
        .end(file.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return cdn;
  }

  /** Serves `body` at `url` (query strings are ignored, as Discord's signed `ex/is/hm` parameters would be). */
  put(url: string, body: Buffer, contentType: string): string {
    const { host, pathname } = new URL(url);
    this.files.set(`${host}${pathname}`, { body, contentType });
    return url;
  }

  /**
   * Routes the CDN hosts here for everything in this process that uses undici's global dispatcher; returns
   * the undo. The Agent comes from the undici copy discord.js's REST client uses (its multipart bodies need
   * their own version), which also serves the project's undici for plain GET downloads.
   */
  installGlobally(): () => void {
    const undici = createRequire(createRequire(import.meta.url).resolve('@discordjs/rest'))(
      'undici',
    ) as Undici;
    const { port } = this.server.address() as AddressInfo;
    const connect = undici.buildConnector({ ca: this.cert });
    const local = new Set<string>(cdnHosts);
    const agent = new undici.Agent({
      connect: (options, callback) =>
        local.has(options.hostname)
          ? connect(
              { ...options, hostname: '127.0.0.1', port: String(port), servername: options.hostname },
              callback,
            )
          : connect(options, callback),
    });
    const previous = undici.getGlobalDispatcher();
    undici.setGlobalDispatcher(agent);
    return () => {
      undici.setGlobalDispatcher(previous);
      void agent.close();
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
