// A real outage of a real store: the bot talks to Elasticsearch through a TCP relay that the test cuts and
// restores. Needs ELASTICSEARCH_URL (the test setup starts a local node when it is unset); fails without it.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { adminClient, dropIndices, elasticsearchUrl, uniqueAlias } from '../store/elasticsearch-support.js';
import { createTestBot, indexFolder, photoFolder, requestFrom, type TestBot } from '../helpers/bot.js';

/** Relays a local port to the server; `cut` refuses and drops every connection until `restore`. */
class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async restore(): Promise<void> {
    if (this.server?.listening) return;
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject).listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

describe('a store outage (Elasticsearch behind a relay that is cut)', () => {
  const alias = uniqueAlias();
  const relay = new Relay(new URL(elasticsearchUrl()));
  let test: TestBot;
  let photos: { dir: string; remove(): Promise<void> };

  beforeAll(async () => {
    await relay.restore();
    const env = {
      LOOKALIKE_STORE: 'elasticsearch',
      ELASTICSEARCH_URL: `http://127.0.0.1:${relay.port}`,
      LOOKALIKE_INDEX: alias,
      LOOKALIKE_COMMAND_TIMEOUT_MS: '15000',
    };
    test = await createTestBot({ env, store: openStore });
    photos = await photoFolder();
    await indexFolder(test, photos.dir);
    const client = adminClient();
    await client.indices.refresh({ index: alias });
    await client.close();
  });

  afterAll(async () => {
    await relay.restore().catch(() => undefined);
    await test?.close();
    await photos?.remove();
    const client = adminClient();
    await dropIndices(client, alias);
    await client.close();
  });

  it('says search is unavailable within the timeout, keeps answering, and searches again once the store is back', async () => {
    expect((await test.bot.handle(requestFrom('find', { text: 'a cat' }))).kind).toBe('results');

    await relay.cut();
    const started = Date.now();
    expect(await test.bot.handle(requestFrom('find', { text: 'a cat' }))).toEqual({
      kind: 'error',
      text: 'Search is unavailable right now. Please try again in a few minutes.',
    });
    // Searches fail fast (2 s request timeout, one retry): the person hears it well before the command timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await test.bot.handle(requestFrom('help'))).kind).toBe('text');
    expect(
      test.logger.lines.some(
        (l) => l.includes('service failure') && l.includes('cannot reach Elasticsearch'),
      ),
    ).toBe(true);

    await relay.restore();
    expect((await test.bot.handle(requestFrom('find', { text: 'a cat' }))).kind).toBe('results');
  });
});
