// Elasticsearch addresses that never answer as they should, met by the commands people run: an endpoint that
// accepts connections and drops them (a proxy or load balancer with a dead node behind it). `find`, `index` and
// `start` each fail within seconds with an error naming Elasticsearch, as a refused connection does.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoFolder, tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

describe('an Elasticsearch endpoint that accepts connections and drops them', () => {
  let server: Server;
  let url: string;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let photos: Awaited<ReturnType<typeof photoFolder>>;

  beforeAll(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    data = await tempDir();
    photos = await photoFolder();
  });
  afterAll(async () => {
    server?.close();
    await photos?.remove();
    await data?.remove();
  });

  it('fails find, index and start within 25 s, naming Elasticsearch and its address', async () => {
    const env = isolatedEnv(data.dir, { LOOKALIKE_STORE: 'elasticsearch', ELASTICSEARCH_URL: url });
    const timed = async (args: string[]) => {
      const started = Date.now();
      const result = await runCli(args, env, '', 60_000);
      return { ...result, ms: Date.now() - started };
    };
    const results = await Promise.all([
      timed(['find', 'cat']),
      timed(['index', photos.dir]),
      timed(['start']),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      // Either the connection's reset is seen (undici reports "other side closed"), or the outer deadline ends
      // a connection that never settles; both name Elasticsearch and where it was looked for.
      expect(result.stderr).toMatch(
        new RegExp(
          `lookalike: (cannot reach Elasticsearch at ${url} to connect: (other side closed|read ECONNRESET|socket hang up)|Elasticsearch at ${url} did not answer within 15 s)`,
        ),
      );
      expect(result.ms).toBeLessThan(25_000 + 10_000); // 15 s deadline + start-up of a loaded machine
    }
  });
});
