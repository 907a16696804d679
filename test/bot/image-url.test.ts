import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { downloadSettings } from '../../src/net/download.js';
import { downloadImage } from '../../src/search/image-url.js';

let server: Server;
let base: string;
const body = Buffer.alloc(5_000, 7);

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok.jpg') return res.end(body);
    if (req.url === '/to-other-host') {
      res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/ok.jpg` });
      return res.end();
    }
    if (req.url === '/to-same-host') {
      res.writeHead(301, { location: '/ok.jpg' });
      return res.end();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const limits = {
  ...downloadSettings(parseConfig({ LOOKALIKE_ALLOWED_PRIVATE_HOSTS: '127.0.0.1,localhost' })),
  allowedHosts: ['127.0.0.1'],
  maxBytes: 8_000,
  timeoutMs: 500,
};

// Only what the allowed-host list adds; the downloader's own limits are tested in test/net/download.test.ts.
describe('downloading an image a user linked', () => {
  it('fetches from an allowed host, following redirects that stay on allowed hosts', async () => {
    expect((await downloadImage(`${base}/ok.jpg`, limits)).equals(body)).toBe(true);
    expect((await downloadImage(`${base}/to-same-host`, limits)).length).toBe(body.length);
  });

  it('refuses other hosts, also when a redirect leads there', async () => {
    const other = base.replace('127.0.0.1', 'localhost');
    await expect(downloadImage(`${other}/ok.jpg`, limits)).rejects.toThrow(/not fetched from localhost/);
    await expect(downloadImage(`${base}/to-other-host`, limits)).rejects.toThrow(
      /not fetched from localhost/,
    );
    await expect(downloadImage(`${base}/ok.jpg`, { ...limits, allowedHosts: [] })).rejects.toThrow(
      /LOOKALIKE_ALLOWED_IMAGE_HOSTS is empty/,
    );
    await expect(downloadImage('file:///etc/passwd', limits)).rejects.toThrow(/only http and https/);
  });

  it('allows subdomains of a *. entry only', async () => {
    await expect(
      downloadImage(`${base}/ok.jpg`, { ...limits, allowedHosts: ['*.0.0.1'] }),
    ).resolves.toBeDefined();
    await expect(
      downloadImage(`${base}/ok.jpg`, { ...limits, allowedHosts: ['*.127.0.0.1'] }),
    ).rejects.toThrow(/not fetched/);
  });
});
