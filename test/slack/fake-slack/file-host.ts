import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FakeProxy } from '../../helpers/proxy.js';
import { fakeInternetCertificate, foreignHost, slackFileHosts } from '../../helpers/tls.js';

/** Slack's file hosts the fake serves, and one host that is not Slack's. */
export { slackFileHosts };
export const otherHost = foreignHost;

/** One request a file host received, with the Authorization header it carried (if any). */
export interface FileRequest {
  host: string;
  path: string;
  authorization: string | undefined;
}

type Served =
  | { kind: 'file'; body: Buffer; contentType: string; private: boolean }
  | { kind: 'redirect'; location: string };

/** What Slack answers for a private file requested without a valid token: its sign-in page, with 200. */
const signInPage =
  '<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>';

/**
 * Slack's file hosts (and one foreign host) on 127.0.0.1 over real TLS, with the fake internet's certificate.
 * Clients reach it through its proxy, which tunnels those host names here (`env` holds the proxy settings a bot
 * needs); URLs stay as in production (https://files.slack.com/files-pri/...). Private files need the bot
 * token, as on Slack; every request is recorded with its Authorization header.
 */
export class FakeFileHost {
  readonly requests: FileRequest[] = [];
  private readonly served = new Map<string, Served>();

  private constructor(
    private readonly server: Server,
    readonly proxy: FakeProxy,
    private readonly botToken: string,
  ) {}

  static async start(botToken: string): Promise<FakeFileHost> {
    const server = createServer(fakeInternetCertificate());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = await FakeProxy.start();
    proxy.route([...slackFileHosts, otherHost], (server.address() as AddressInfo).port);
    const host = new FakeFileHost(server, proxy, botToken);
    server.on('request', (req, res) => host.serve(req.headers, req.url ?? '/', res));
    return host;
  }

  /** Serves `body` at `url`; private (Slack's) files need the bot token. */
  put(url: string, body: Buffer, contentType: string, options: { private?: boolean } = {}): string {
    this.served.set(key(url), { kind: 'file', body, contentType, private: options.private ?? true });
    return url;
  }

  redirect(url: string, location: string): string {
    this.served.set(key(url), { kind: 'redirect', location });
    return url;
  }

  requestsTo(host: string): FileRequest[] {
    return this.requests.filter((r) => r.host === host);
  }

  /** The proxy settings that lead a bot's downloads here. */
  get env(): Record<string, string> {
    return this.proxy.env;
  }

  async close(): Promise<void> {
    await this.proxy.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(
    headers: Record<string, string | string[] | undefined>,
    url: string,
    res: import('node:http').ServerResponse,
  ): void {
    const host = String(headers.host ?? '').split(':')[0] ?? '';
    const path = new URL(url, 'https://x').pathname;
    const authorization = typeof headers.authorization === 'string' ? headers.authorization : undefined;
    this.requests.push({ host, path, authorization });
    const served = this.served.get(`${host}${path}`);
    if (!served) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('file_not_found');
      return;
    }
    if (served.kind === 'redirect') {
      res.writeHead(302, { location: served.location }).end();
      return;
    }
    if (served.private && authorization !== `Bearer ${this.botToken}`) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(signInPage);
      return;
    }
    res
      .writeHead(200, { 'content-type': served.contentType, 'content-length': served.body.length })
      .end(served.body);
  }
}

const key = (url: string) => {
  const { host, pathname } = new URL(url);
  return `${host}${pathname}`;
};
