// URL lists against a local HTTP server on 127.0.0.1: what a list yields and indexing it (the downloads' own
// limits are tested with the downloader, test/net/download.test.ts).
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { indexSource } from '../../src/indexer/index-source.js';
import { downloadSettings } from '../../src/net/download.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { openUrlListSource, urlListSourceId } from '../../src/sources/url-list.js';
import { tempDir } from '../helpers/bot.js';
import { backendConfig, openTestStore, sliceState } from './helpers/stores.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/images');
const cat = readFileSync(path.join(fixtures, 'photo-cat.jpg'));
const flower = readFileSync(path.join(fixtures, 'photo-flower.jpg'));
const maxBytes = 200_000;

/** Routes of the test server; each answers as its name says. */
function handle(request: http.IncomingMessage, response: http.ServerResponse): void {
  const send = (status: number, body: Buffer | string, headers: http.OutgoingHttpHeaders = {}) => {
    response.writeHead(status, headers);
    response.end(body);
  };
  switch (request.url) {
    case '/cat.jpg':
    case '/same-cat.jpg':
      return send(200, cat, { 'content-type': 'image/jpeg' });
    case '/photos/flower':
      return send(200, flower, { 'content-type': 'image/jpeg' });
    case '/moved':
      return send(302, '', { location: '/photos/flower' });
    case '/loop':
      return send(302, '', { location: '/loop' });
    case '/huge-declared':
      return send(200, Buffer.alloc(maxBytes + 1), { 'content-length': String(maxBytes + 1) });
    case '/text.jpg':
      return send(200, 'this is not a picture', { 'content-type': 'image/jpeg' });
    default:
      return send(404, 'not found');
  }
}

describe('URL lists', () => {
  let server: http.Server;
  let base: string;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let embedder: Embedder;

  beforeAll(async () => {
    server = http.createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    data = await tempDir();
    embedder = await openEmbedder(backendConfig('embedded', data.dir));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await embedder?.close();
    await data?.remove();
  });

  it('indexes a list: good images once (same bytes under two URLs too), every bad line reported', async () => {
    const list = path.join(data.dir, 'urls.txt');
    await writeFile(
      list,
      [
        '# holiday pictures',
        `${base}/cat.jpg`,
        '',
        `${base}/moved`,
        `${base}/same-cat.jpg`,
        `${base}/cat.jpg`,
        `   ${base}/missing.jpg   `,
        `${base}/huge-declared`,
        `${base}/loop`,
        `${base}/text.jpg`,
        'file:///etc/passwd',
        'data:image/png;base64,iVBORw0KGgo=',
        'ftp://example.com/a.jpg',
        'not a url',
      ].join('\n'),
    );
    const test = await openTestStore('embedded', path.join(data.dir, 'store'));
    try {
      const source = await openUrlListSource({
        ...downloadSettings(parseConfig({ LOOKALIKE_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' })),
        listPath: list,
        tenant: 'guild-1',
        timeoutMs: 2_000,
        maxBytes,
      });
      expect(source.id).toBe(urlListSourceId(list));
      const report = await indexSource({ source, store: test.store, embedder });

      expect(report).toMatchObject({ new: 3, updated: 0, unchanged: 0, deleted: 0, tenant: 'guild-1' });
      const reasons = Object.fromEntries(report.failed.map((f) => [f.input, f.reason]));
      expect(reasons).toEqual({
        [`${base}/missing.jpg`]: expect.stringMatching(/HTTP 404/),
        [`${base}/huge-declared`]: expect.stringMatching(/the limit is 0\.2 MiB/),
        [`${base}/loop`]: expect.stringMatching(/redirects/),
        [`${base}/text.jpg`]: expect.stringMatching(/not an image/),
        'file:///etc/passwd': expect.stringMatching(/file: URLs are refused/),
        'data:image/png;base64,iVBORw0KGgo=': expect.stringMatching(/data: URLs are refused/),
        'ftp://example.com/a.jpg': expect.stringMatching(/ftp: URLs are refused/),
        'not a url': 'is not a URL',
      });
      const docs = await sliceState(test.store, 'guild-1', source.id);
      expect(docs.map((line) => line.split(' ').slice(1).join(' ')).sort()).toEqual([
        expect.stringMatching(new RegExp(`^${base}/cat.jpg \\w+ \\[${base}/same-cat.jpg\\]$`)),
        expect.stringMatching(new RegExp(`^${base}/moved \\w+ \\[\\]$`)),
      ]);
      const again = await indexSource({ source, store: test.store, embedder });
      expect(again).toMatchObject({ new: 0, updated: 0, unchanged: 3, deleted: 0 });
    } finally {
      await test.close();
    }
  });
});
