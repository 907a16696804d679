import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FakeProxy } from '../../helpers/proxy.js';
import { discordFileHosts, fakeInternetCertificate, foreignHost } from '../../helpers/tls.js';

/** Host names the fake CDN serves: Discord's two file hosts and one that is not Discord's. */
export const cdnHosts = [...discordFileHosts, foreignHost] as const;

export interface CdnRequest {
  host: string;
  path: string;
}

interface CdnFile {
  body: Buffer;
  contentType: string;
}

/**
 * Discord's CDN on 127.0.0.1 over real TLS, with the fake internet's certificate for `cdnHosts`. Clients reach
 * it through its proxy, which tunnels those host names here (`env` holds the proxy settings a bot needs), so
 * URLs stay exactly as in production (https://cdn.discordapp.com/...) and the code under test keeps its real
 * host checks.
 */
export class FakeCdn {
  readonly requests: CdnRequest[] = [];
  private readonly files = new Map<string, CdnFile>();
  private constructor(
    private readonly server: Server,
    readonly proxy: FakeProxy,
  ) {}

  static async start(): Promise<FakeCdn> {
    const server = createServer(fakeInternetCertificate());
    const proxy = await FakeProxy.start();
    const cdn = new FakeCdn(server, proxy);
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
    proxy.route(cdnHosts, (server.address() as AddressInfo).port);
    return cdn;
  }

  /** The proxy settings that lead a bot's downloads here. */
  get env(): Record<string, string> {
    return this.proxy.env;
  }

  /** Serves `body` at `url` (query strings are ignored, as Discord's signed `ex/is/hm` parameters would be). */
  put(url: string, body: Buffer, contentType: string): string {
    const { host, pathname } = new URL(url);
    this.files.set(`${host}${pathname}`, { body, contentType });
    return url;
  }

  async close(): Promise<void> {
    await this.proxy.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
