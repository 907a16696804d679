// The one downloader behind user links, URL lists and chat files: local HTTP and TLS servers on 127.0.0.1.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { download, downloadSettings, type DownloadOptions, type HostPolicy } from '../../src/net/download.js';
import { InputError } from '../../src/util/errors.js';
import { FakeProxy } from '../helpers/proxy.js';
import { fakeInternetCertificate, foreignHost, slackFileHosts } from '../helpers/tls.js';

const body = Buffer.alloc(5_000, 7);
const maxBytes = 8_000;

/** Routes both servers answer; each behaves as its name says. */
function routes(req: http.IncomingMessage, res: http.ServerResponse, origin: string): void {
  const send = (status: number, data: Buffer | string, headers: http.OutgoingHttpHeaders = {}) =>
    void res.writeHead(status, headers).end(data);
  switch (new URL(req.url ?? '/', 'http://x').pathname) {
    case '/ok.jpg':
      return send(200, body, { 'content-type': 'image/jpeg' });
    case '/moved':
      return send(301, '', { location: '/ok.jpg' });
    case '/loop':
      return send(302, '', { location: '/loop' });
    case '/to-file':
      return send(302, '', { location: 'file:///etc/passwd' });
    case '/to-other-host':
      return send(302, '', { location: `${origin.replace('127.0.0.1', 'localhost')}/ok.jpg` });
    case '/declared-large':
      return send(200, Buffer.alloc(maxBytes + 1), { 'content-length': String(maxBytes + 1) });
    case '/streamed-large':
      // No length header: the cap must hold while the body streams in.
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(body);
      res.write(body);
      return void res.end();
    case '/slow':
      return; // never answers
    default:
      return send(404, 'not found');
  }
}

const onlyLoopback: HostPolicy = {
  allows: (url) => url.hostname === '127.0.0.1',
  refusal: (url) => `${url.hostname} is not on the list`,
};

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return (error as InputError).reason;
}

describe('download over http', () => {
  let server: http.Server;
  let base: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(`${req.headers.host?.split(':')[0]}${req.url}`);
      routes(req, res, base);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const options: DownloadOptions = {
    ...downloadSettings(parseConfig({ LOOKALIKE_ALLOWED_PRIVATE_HOSTS: '127.0.0.1,localhost' })),
    hosts: onlyLoopback,
    maxBytes,
    timeoutMs: 2_000,
  };
  const get = (route: string, more: Partial<DownloadOptions> = {}) =>
    download(base + route, { ...options, ...more });

  it('returns the body and its type, following redirects that stay on allowed hosts', async () => {
    const direct = await get('/ok.jpg');
    expect(direct.bytes.equals(body)).toBe(true);
    expect(direct.contentType).toBe('image/jpeg');
    expect((await get('/moved')).bytes.equals(body)).toBe(true);
  });

  it('refuses what is not http(s), not a URL, or on a host the policy refuses, before any request', async () => {
    const other = base.replace('127.0.0.1', 'localhost');
    const before = seen.length;
    expect(await reason(download('file:///etc/passwd', options))).toMatch(
      /file: URLs are refused: only http and https/,
    );
    expect(await reason(download('not a url', options))).toMatch(/not a valid URL/);
    expect(await reason(download(`${other}/ok.jpg`, options))).toBe('localhost is not on the list');
    expect(seen.length).toBe(before);
  });

  it('checks every redirect target before following it', async () => {
    expect(await reason(get('/to-other-host'))).toBe('localhost is not on the list');
    expect(await reason(get('/to-file'))).toMatch(/file: URLs are refused/);
    expect(await reason(get('/loop'))).toBe('more than 3 redirects');
    expect(seen.filter((s) => s.startsWith('localhost'))).toEqual([]);
  });

  it('stops at the byte cap, whether the length is declared or not', async () => {
    expect(await reason(get('/declared-large'))).toBe('it is 0.0 MiB; the limit is 0.0 MiB');
    expect(await reason(get('/streamed-large'))).toBe('it is larger than the 0.0 MiB limit');
    expect((await get('/streamed-large', { maxBytes: 10_000 })).bytes.length).toBe(10_000);
  });

  it('names HTTP errors, timeouts, an abort by the caller and unreachable servers', async () => {
    expect(await reason(get('/missing.jpg'))).toBe('the server answered HTTP 404');
    const started = Date.now();
    expect(await reason(get('/slow', { timeoutMs: 300 }))).toBe('no complete answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await reason(get('/slow', { signal: AbortSignal.timeout(100) }))).toMatch(/no complete answer/);
    const refused = download('http://127.0.0.1:1/x.jpg', { ...options, hosts: onlyLoopback });
    expect(await reason(refused)).toBe('download failed: ECONNREFUSED');
  });

  it('names errors after `name` when given (a file name people know)', async () => {
    const error = await get('/missing.jpg', { name: 'holiday.jpg' }).catch((e: unknown) => e);
    expect((error as InputError).message).toBe('holiday.jpg: the server answered HTTP 404');
  });
});

describe('download with headers over TLS through a proxy', () => {
  const [trusted, trustedToo] = slackFileHosts;
  const foreign = foreignHost;
  const secret = 'Bearer secret-token';
  const received: { host: string; path: string; authorization: string | undefined }[] = [];
  let server: https.Server;
  let proxy: FakeProxy;

  beforeAll(async () => {
    server = https.createServer(fakeInternetCertificate(), (req, res) => {
      const host = req.headers.host?.split(':')[0] ?? '';
      const path = req.url ?? '/';
      received.push({ host, path, authorization: req.headers.authorization });
      if (path === '/to-foreign')
        return void res.writeHead(302, { location: `https://${foreign}/ok.jpg` }).end();
      if (path === '/to-sibling')
        return void res.writeHead(302, { location: `https://${trustedToo}/ok.jpg` }).end();
      routes(req, res, `https://${host}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = await FakeProxy.start();
    proxy.route([trusted, trustedToo, foreign], (server.address() as AddressInfo).port);
  });
  afterAll(async () => {
    await proxy?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const hosts: HostPolicy = {
    allows: (url) => url.protocol === 'https:' && url.hostname.endsWith('.slack.com'),
    refusal: (url) => `${url.hostname} may not have the token`,
  };
  const options = (): DownloadOptions => ({
    ...downloadSettings(parseConfig(proxy.env)),
    hosts,
    maxBytes,
    timeoutMs: 5_000,
    headers: { authorization: secret },
  });

  it('sends the headers to allowed hosts, across redirects between them', async () => {
    const got = await download(`https://${trusted}/to-sibling`, options());
    expect(got.bytes.equals(body)).toBe(true);
    expect(received.slice(-2)).toEqual([
      { host: trusted, path: '/to-sibling', authorization: secret },
      { host: trustedToo, path: '/ok.jpg', authorization: secret },
    ]);
  });

  it('never sends anything to another host: neither asked directly nor through a redirect', async () => {
    expect(await reason(download(`https://${foreign}/ok.jpg`, options()))).toBe(
      `${foreign} may not have the token`,
    );
    expect(await reason(download(`https://${trusted}/to-foreign`, options()))).toBe(
      `${foreign} may not have the token`,
    );
    expect(received.filter((r) => r.host === foreign)).toEqual([]);
    // The same server answers for the foreign name: it is reachable, only the policy keeps it out.
    const anyHost = { ...hosts, allows: () => true };
    const open = await download(`https://${foreign}/ok.jpg`, { ...options(), headers: {}, hosts: anyHost });
    expect(open.bytes.length).toBe(body.length);
  });
});
