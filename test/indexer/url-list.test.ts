// URL lists against a local HTTP server on 127.0.0.1: downloads, their limits, and indexing the result.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexSource } from '../../src/indexer/index.js';
import { openEmbedder } from '../../src/model/index.js';
import type { Embedder } from '../../src/model/types.js';
import { downloadImage, openUrlListSource, urlListSourceId } from '../../src/sources/url-list.js';
import { InputError } from '../../src/util/errors.js';
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
    case '/to-file':
      return send(301, '', { location: 'file:///etc/passwd' });
    case '/huge-declared':
      return send(200, Buffer.alloc(maxBytes + 1), { 'content-length': String(maxBytes + 1) });
    case '/huge-streamed': {
      // No length header: the cap must hold while the body streams in.
      response.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(16_384, 0xff);
      let sent = 0;
      const more = () => {
        while (sent < 10 * maxBytes && !response.destroyed) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', more);
        }
        response.end();
      };
      return more();
    }
    case '/text.jpg':
      return send(200, 'this is not a picture', { 'content-type': 'image/jpeg' });
    case '/slow':
      return void setTimeout(() => send(200, cat), 5_000);
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

  const download = (route: string, timeoutMs = 2_000) =>
    downloadImage(new URL(base + route), { timeoutMs, maxBytes });
  const refusal = async (route: string, timeoutMs?: number) => {
    const error = await download(route, timeoutMs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).reason;
  };

  it('downloads an image, following up to 3 redirects', async () => {
    expect((await download('/cat.jpg')).equals(cat)).toBe(true);
    expect((await download('/moved')).equals(flower)).toBe(true);
  });

  it('refuses what is not an image, too large, unreachable, redirected in a loop or out of http', async () => {
    expect(await refusal('/missing.jpg')).toMatch(/HTTP 404/);
    expect(await refusal('/loop')).toMatch(/more than 3 redirects/);
    expect(await refusal('/to-file')).toMatch(/file: URL.*refused/);
    expect(await refusal('/huge-declared')).toMatch(/more than LOOKALIKE_MAX_IMAGE_BYTES \(200000\)/);
    expect(await refusal('/huge-streamed')).toMatch(
      /at least \d+ bytes, more than LOOKALIKE_MAX_IMAGE_BYTES/,
    );
    expect(await refusal('/text.jpg')).toMatch(/not an image/);
    expect(await refusal('/slow', 300)).toMatch(/no complete answer within 300 ms/);
    const closed = await downloadImage(new URL('http://127.0.0.1:1/x.jpg'), {
      timeoutMs: 2_000,
      maxBytes,
    }).catch((e: unknown) => e);
    expect((closed as InputError).reason).toMatch(/download failed: ECONNREFUSED/);
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
        [`${base}/huge-declared`]: expect.stringMatching(/LOOKALIKE_MAX_IMAGE_BYTES/),
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
