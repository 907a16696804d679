import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

/** One CONNECT tunnel a client asked the proxy for. */
export interface Tunnel {
  host: string;
  port: number;
  /** False when the proxy refused it (a host it does not route). */
  routed: boolean;
}

/**
 * An HTTP proxy, as companies run them, standing in for the internet: `CONNECT host:443` tunnels go to the
 * local server routed for that host name (a fake Discord CDN, Slack's file hosts), every other host is refused.
 * The bot reaches it through the standard proxy settings (HTTPS_PROXY, NO_PROXY), which it honours in
 * production too, and TLS inside the tunnel still checks the real host name against the fake's certificate.
 */
export class FakeProxy {
  readonly tunnels: Tunnel[] = [];
  private readonly routes = new Map<string, number>();
  /** Tunnels are detached from the HTTP server, so closing it would not end them. */
  private readonly sockets = new Set<import('node:stream').Duplex>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeProxy> {
    const server = createServer((_req, res) => {
      // Plain-HTTP proxying is not needed: every routed host is https.
      res.writeHead(502, { 'content-type': 'text/plain' }).end('this proxy only tunnels https');
    });
    const proxy = new FakeProxy(server);
    server.on('connect', (req, socket, head) => {
      const [host = '', portText = '443'] = (req.url ?? '').split(':');
      const target = proxy.routes.get(host.toLowerCase());
      proxy.tunnels.push({ host, port: Number(portText), routed: target !== undefined });
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
      if (target === undefined) {
        socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const upstream = connect(target, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
      });
      const close = () => {
        upstream.destroy();
        socket.destroy();
      };
      upstream.on('error', close);
      socket.on('error', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** Sends tunnels for each of `hosts` to the local server on `port`. */
  route(hosts: readonly string[], port: number): void {
    for (const host of hosts) this.routes.set(host.toLowerCase(), port);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The proxy settings a process needs to reach the routed hosts here and everything local directly. */
  get env(): Record<string, string> {
    return { HTTPS_PROXY: this.url, NO_PROXY: '127.0.0.1,localhost' };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
