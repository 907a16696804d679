// Secrets, settings and fetches, probed from outside as people run lookalike: child processes configured by
// environment only, local HTTP servers standing in for a URL list's hosts and for misbehaving services.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureImagesDir, tempDir } from '../helpers/bot.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

/** Every file under `dir`, read as text (reports, sources.json, the store itself). */
async function allText(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const texts = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map((e) => readFile(path.join(e.parentPath, e.name)).then((b) => b.toString('latin1'))),
  );
  return texts.join('\n');
}

describe('settings errors name their key', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => (data = await tempDir()));
  afterAll(async () => data?.remove());

  it('refuses numbers that are not plain decimal, naming the key; an empty value means the default', async () => {
    for (const value of ['1e2', '0x10', ' 5 ', '5.0']) {
      const result = await runCli(['find', 'cat'], isolatedEnv(data.dir, { LOOKALIKE_THREADS: value }));
      expect(result.code, value).toBe(2);
      expect(result.stderr).toMatch(/LOOKALIKE_THREADS: must be a whole number written with the digits 0-9/);
    }
    // An uncommented `.env.example` line: the default, not the current folder and not "too small".
    const empty = await runCli(
      ['find', 'cat', '--json'],
      isolatedEnv(data.dir, { LOOKALIKE_THREADS: '', LOOKALIKE_BATCH_SIZE: '', LOOKALIKE_CACHE_DIR: '' }),
    );
    expect(empty.stderr).not.toMatch(/LOOKALIKE_THREADS|LOOKALIKE_BATCH_SIZE/);
    expect(empty.code).toBe(0);
  });

  it('names LOOKALIKE_DATA_DIR pointing at a file, and which model folder is missing', async () => {
    const file = path.join(data.dir, 'a-file');
    await writeFile(file, 'x');
    const dataDir = await runCli(['find', 'cat'], { ...isolatedEnv(data.dir), LOOKALIKE_DATA_DIR: file });
    expect(dataDir.code).toBe(2);
    expect(dataDir.stderr).toContain(`LOOKALIKE_DATA_DIR: ${file} is not a folder`);

    const missing = path.join(data.dir, 'no-such-model');
    const text = await runCli(['find', 'cat'], isolatedEnv(data.dir, { LOOKALIKE_TEXT_MODEL_DIR: missing }));
    expect(text.code).toBe(2);
    expect(text.stderr).toContain(`LOOKALIKE_TEXT_MODEL_DIR: ${missing} does not exist`);
    const model = await runCli(['find', 'cat'], isolatedEnv(data.dir, { LOOKALIKE_MODEL_DIR: missing }));
    expect(model.code).not.toBe(0);
    expect(model.stderr).toContain('LOOKALIKE_MODEL_DIR');
    expect(model.stderr).not.toContain('LOOKALIKE_TEXT_MODEL_DIR');
  });
});

describe('URL lists', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let server: Server;
  let port: number;
  const requests: { url: string; host?: string; authorization?: string }[] = [];

  beforeAll(async () => {
    data = await tempDir();
    const cat = await readFile(path.join(fixtureImagesDir, 'photo-cat.jpg'));
    server = createServer((req, res) => {
      requests.push({
        host: req.headers.host ?? '',
        url: req.url ?? '',
        ...(req.headers.authorization && { authorization: req.headers.authorization }),
      });
      if (req.url?.startsWith('/to-localhost')) {
        res.writeHead(302, { location: `http://localhost:${port}/cat.jpg` });
        res.end();
        return;
      }
      if (req.url?.startsWith('/to-metadata')) {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.end(cat);
    });
    port = await listen(server);
  });
  afterAll(async () => {
    server?.close();
    await data?.remove();
  });

  it('refuses loopback, private, link-local and metadata addresses unless the host is allowed by name', async () => {
    const list = path.join(data.dir, 'internal.txt');
    await writeFile(
      list,
      [
        `http://127.0.0.1:${port}/cat.jpg`,
        `http://2130706433:${port}/decimal.jpg`,
        `http://[::1]:${port}/v6.jpg`,
        `http://localhost:${port}/named.jpg`,
        'http://10.1.2.3/private.jpg',
        'http://169.254.169.254/latest/meta-data/',
        '',
      ].join('\n'),
    );
    const env = isolatedEnv(path.join(data.dir, 'refused'));
    const refused = await runCli(['index', list, '--tenant', 't1'], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('0 new, 0 updated, 0 unchanged, 0 deleted, 6 failed');
    expect(refused.stdout).toMatch(
      /127\.0\.0\.1 is a private or local address; add 127\.0\.0\.1 to LOOKALIKE_ALLOWED_PRIVATE_HOSTS/,
    );
    expect(refused.stdout).toMatch(/::1 is a private or local address/);
    expect(refused.stdout).toMatch(/localhost resolves to the private or local address/);
    expect(refused.stdout).toMatch(/169\.254\.169\.254 is a private or local address/);
    expect(refused.stdout).toMatch(/10\.1\.2\.3 is a private or local address/);
    expect(requests).toEqual([]); // nothing was asked of the server

    // Allowed by name: 127.0.0.1 is fetched; a redirect from it into another internal name still is not.
    const redirects = path.join(data.dir, 'redirects.txt');
    await writeFile(
      redirects,
      `http://127.0.0.1:${port}/cat.jpg\nhttp://127.0.0.1:${port}/to-localhost\nhttp://127.0.0.1:${port}/to-metadata\n`,
    );
    const allowed = await runCli(['index', redirects, '--tenant', 't1'], {
      ...env,
      LOOKALIKE_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    });
    expect(allowed.stdout).toContain('1 new, 0 updated, 0 unchanged, 0 deleted, 2 failed');
    expect(allowed.stdout).toMatch(/to-localhost: localhost resolves to the private or local address/);
    expect(allowed.stdout).toMatch(/to-metadata: 169\.254\.169\.254 is a private or local address/);
    // Only 127.0.0.1 was asked (the image may be read more than once); no redirect into localhost was followed.
    expect([...new Set(requests.map((r) => r.url))].sort()).toEqual([
      '/cat.jpg',
      '/to-localhost',
      '/to-metadata',
    ]);
    expect(requests.every((r) => r.host === `127.0.0.1:${port}`)).toBe(true);
  });

  it('never stores, shows or reports the user:password of a listed URL', async () => {
    requests.length = 0;
    const dataDir = path.join(data.dir, 'credentials');
    const list = path.join(data.dir, 'credentials.txt');
    const password = 'pw-Hunter2-secret';
    await writeFile(
      list,
      `http://alice:${password}@127.0.0.1:${port}/cat.jpg\nhttp://alice:${password}@127.0.0.1:1/down.jpg\nhttp://bob:${password}@[bad/x.jpg\n`,
    );
    const env = isolatedEnv(dataDir, { LOOKALIKE_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
    const report = path.join(data.dir, 'report.json');
    const indexed = await runCli(['index', list, '--tenant', 't1', '--report', report], env);
    expect(indexed.stdout).toContain('1 new, 0 updated, 0 unchanged, 0 deleted, 2 failed');
    const found = await runCli(['find', 'cat', '--tenant', 't1', '--json'], env);
    expect(found.code).toBe(0);
    const status = await runCli(['find', 'cat', '--tenant', 't1'], env);
    expect(status.stdout).toContain(`http://127.0.0.1:${port}/cat.jpg`);
    for (const text of [
      indexed.stdout,
      indexed.stderr,
      found.stdout,
      status.stdout,
      await allText(dataDir),
      await readFile(report, 'utf8'),
    ]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(Buffer.from(`alice:${password}`).toString('base64'));
    }
    expect(requests.every((r) => r.authorization === undefined)).toBe(true);
  });
});

describe('secrets on the last error path', () => {
  let server: Server;
  let port: number;
  let data: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    data = await tempDir();
    // A service that echoes the request's headers in its error, as an Elasticsearch 400 or a proxy may.
    server = createServer((req, res) => {
      res.writeHead(400, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(
        JSON.stringify({
          error: { type: 'bad_request', reason: `headers: ${JSON.stringify(req.headers)}` },
          status: 400,
        }),
      );
    });
    port = await listen(server);
  });
  afterAll(async () => {
    server?.close();
    await data?.remove();
  });

  it('redacts an echoed Authorization header (base64 of user:password) and tokens from the top-level error', async () => {
    const password = 'Es-Passw0rd-very-secret';
    const result = await runCli(
      ['find', 'cat'],
      isolatedEnv(data.dir, {
        LOOKALIKE_STORE: 'elasticsearch',
        ELASTICSEARCH_URL: `http://127.0.0.1:${port}`,
        ELASTICSEARCH_USERNAME: 'elastic',
        ELASTICSEARCH_PASSWORD: password,
      }),
    );
    expect(result.code).not.toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).not.toContain(password);
    expect(output).not.toContain(Buffer.from(`elastic:${password}`).toString('base64'));
    expect(output).toContain('Basic [redacted]');
  });
});

describe('Slack settings at start', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => (data = await tempDir()));
  afterAll(async () => data?.remove());

  it('fails fast naming SLACK_API_URL when it cannot be reached', async () => {
    const started = Date.now();
    const result = await runCli(
      ['start'],
      isolatedEnv(data.dir, {
        SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefghijklmnop',
        SLACK_APP_TOKEN: 'xapp-1-A0LOOKALIKE-abcdefghijkl',
        SLACK_API_URL: 'http://127.0.0.1:1/api/',
      }),
      '',
      40_000,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SLACK_API_URL: http://127.0.0.1:1/api/ could not be reached');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.stderr).not.toContain('abcdefghijklmnop');
  });

  it('names a user token given as the bot token', async () => {
    const result = await runCli(
      ['start'],
      isolatedEnv(data.dir, {
        SLACK_BOT_TOKEN: 'xoxp-1111-2222-abcdefghijklmnop',
        SLACK_APP_TOKEN: 'xapp-1-A0LOOKALIKE-abcdefghijkl',
        SLACK_API_URL: 'http://127.0.0.1:1/api/',
      }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SLACK_BOT_TOKEN: this is a user token (xoxp-)');
    expect(result.stderr).not.toContain('abcdefghijklmnop');
  });
});
