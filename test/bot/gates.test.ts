import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import type { Command } from '../../src/bot/command.js';
import type { Reply } from '../../src/bot/types.js';
import type { IndexProgress, IndexReport } from '../../src/indexer/types.js';
import type { Embedder } from '../../src/model/types.js';
import { createTestBot, indexFolder, photoFolder, requestFrom, type TestBot } from '../helpers/bot.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function bot(options: Parameters<typeof createTestBot>[0] = {}): Promise<TestBot> {
  const test = await createTestBot(options);
  open.push(test);
  return test;
}

async function photos(): Promise<string> {
  const folder = await photoFolder();
  open.push({ close: folder.remove });
  return folder.dir;
}

const admin = { id: 'admin-1', isAdmin: true };
const kinds = (replies: Reply[]) => replies.map((r) => r.kind);

describe('permissions and jobs', () => {
  it('refuses /reindex to a member and runs it for an admin, with progress, one report, one job at a time', async () => {
    const test = await bot();
    await indexFolder(test, await photos(), 'guild-1');

    expect(await test.bot.handle(requestFrom('reindex'))).toEqual({
      kind: 'error',
      text: 'Only admins may use /reindex.',
    });

    const progress: IndexProgress[] = [];
    let finish: (report: IndexReport) => void = () => undefined;
    const done = new Promise<IndexReport>((resolve) => (finish = resolve));
    const started = await test.bot.handle(requestFrom('reindex', { full: 'true' }, { actor: admin }), {
      onProgress: (p) => progress.push(p),
      onJobDone: finish,
    });
    expect(started).toMatchObject({
      kind: 'job',
      text: expect.stringMatching(/^Started a full rebuild of /),
    });
    const second = await test.bot.handle(requestFrom('reindex', {}, { actor: admin }));
    expect(second).toMatchObject({
      kind: 'error',
      text: expect.stringMatching(/^A job is already running here/),
    });

    const report = await done;
    expect(report).toMatchObject({
      jobId: (started as { jobId: string }).jobId,
      tenant: 'guild-1',
      full: true,
      unchanged: 4,
      failed: [],
    });
    expect(progress.map((p) => p.phase)).toContain('indexing');
    expect(progress.at(-1)?.phase).toBe('done');
    expect(progress.every((p) => p.jobId === report.jobId)).toBe(true);

    // The job is over: a new one may start.
    const third = await test.bot.handle(
      requestFrom('reindex', { source: 'nothing-like-this' }, { actor: admin }),
    );
    expect(third).toMatchObject({
      kind: 'error',
      text: expect.stringMatching(/^source: no registered source matches "nothing-like-this"/),
    });
  });

  it('does not let a guild admin reindex shared folders, and says how to register one', async () => {
    const test = await bot();
    await indexFolder(test, await photos(), '*');
    expect(await test.bot.handle(requestFrom('reindex', {}, { actor: admin }))).toMatchObject({
      kind: 'error',
      text: expect.stringMatching(/^No folders or URL lists are registered here yet/),
    });
  });
});

describe('rate limits and the inference queue', () => {
  it('limits each user, then the whole tenant, and says when to try again', async () => {
    const test = await bot({
      env: { LOOKALIKE_RATE_PER_USER_PER_MINUTE: '2', LOOKALIKE_RATE_PER_TENANT_PER_MINUTE: '3' },
    });
    const help = (user: string) =>
      test.bot.handle(requestFrom('help', {}, { actor: { id: user, isAdmin: false } }));
    expect(kinds([await help('a'), await help('a')])).toEqual(['text', 'text']);
    expect(await help('a')).toEqual({
      kind: 'error',
      text: 'You are sending requests faster than allowed. Try again in 60 s.',
    });
    expect((await help('b')).kind).toBe('text');
    expect(await help('c')).toEqual({
      kind: 'error',
      text: 'Everyone here together is sending requests faster than allowed. Try again in 60 s.',
    });
    // Another tenant has its own budget.
    expect((await test.bot.handle(requestFrom('help', {}, { tenant: 'guild-2' }))).kind).toBe('text');
  });

  it('answers "busy" at once when the queue is full, and serves the rest', async () => {
    const test = await bot({ env: { LOOKALIKE_QUEUE_MAX: '1' }, bot: { inferenceConcurrency: 1 } });
    await indexFolder(test, await photos());
    const started = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        test.bot.handle(
          requestFrom('find', { text: `picture ${i}` }, { actor: { id: `u${i}`, isAdmin: false } }),
        ),
      ),
    );
    const busy = replies.filter((r) => r.kind === 'error');
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expect(busy[0]).toEqual({
      kind: 'error',
      text: 'I am busy with other searches right now. Please try again in a moment.',
    });
    expect(replies.filter((r) => r.kind === 'results').length).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('micro-batches concurrent text queries into few embedTexts calls, each answer its own', async () => {
    const batches: number[] = [];
    const counting = (real: Embedder): Embedder =>
      Object.assign(Object.create(real) as Embedder, {
        embedTexts: (texts: string[]) => {
          batches.push(texts.length);
          return real.embedTexts(texts);
        },
      });
    const test = await bot({ embedder: counting, bot: { batching: { windowMs: 50 } } });
    await indexFolder(test, await photos());
    const texts = [
      'a cat',
      'a pagoda by a lake',
      'a cup of coffee',
      'an orange flower',
      'snow',
      'a dog',
      'sunset',
      'a car',
    ];

    const alone: string[][] = [];
    for (const text of texts) {
      const reply = await test.bot.handle(
        requestFrom('find', { text, count: 4 }, { actor: { id: text, isAdmin: false } }),
      );
      alone.push((reply as Extract<Reply, { kind: 'results' }>).hits.map((h) => h.hit.image_id));
    }
    expect(batches).toEqual(texts.map(() => 1));

    batches.length = 0;
    const together = await Promise.all(
      texts.map((text) =>
        test.bot.handle(
          requestFrom('find', { text, count: 4 }, { actor: { id: `${text}-2`, isAdmin: false } }),
        ),
      ),
    );
    expect(batches.reduce((a, b) => a + b, 0)).toBe(texts.length);
    expect(batches.length).toBeLessThanOrEqual(2);
    expect(
      together.map((r) => (r as Extract<Reply, { kind: 'results' }>).hits.map((h) => h.hit.image_id)),
    ).toEqual(alone);
  });
});

describe('failures become clear replies', () => {
  it('answers "search is unavailable" when the store is down, within the timeout, and keeps answering', async () => {
    const test = await bot({ env: { LOOKALIKE_COMMAND_TIMEOUT_MS: '5000' } });
    await indexFolder(test, await photos());
    await test.store.close();
    const started = Date.now();
    expect(await test.bot.handle(requestFrom('find', { text: 'cat' }))).toEqual({
      kind: 'error',
      text: 'Search is unavailable right now. Please try again in a few minutes.',
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(
      test.logger.lines.some((l) => l.includes('service failure') && l.includes('the store is closed')),
    ).toBe(true);
    expect((await test.bot.handle(requestFrom('help'))).kind).toBe('text');
  });

  it('stops a command at the timeout and stays responsive', async () => {
    const server: Server = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({
      close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow.jpg`;
    const test = await bot({
      env: {
        LOOKALIKE_COMMAND_TIMEOUT_MS: '300',
        LOOKALIKE_ALLOWED_IMAGE_HOSTS: '127.0.0.1',
        LOOKALIKE_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
      },
    });
    const started = Date.now();
    expect(await test.bot.handle(requestFrom('similar', { url }))).toEqual({
      kind: 'error',
      text: 'That took longer than 0.3 s, so I stopped. Please try again.',
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await test.bot.handle(requestFrom('status'))).kind).toBe('text');
  });

  it('turns an unexpected error into a generic reply without internals, logged with secrets redacted', async () => {
    const secret = 'xoxb-very-secret-token-123';
    const broken: Command = {
      spec: {
        name: 'broken',
        description: 'fails',
        permission: 'everyone',
        placement: 'own',
        options: [],
      },
      inference: false,
      run: async () => {
        throw new TypeError(`cannot read properties of undefined (token ${secret})`);
      },
    };
    const test = await bot({ env: { SLACK_BOT_TOKEN: secret }, commands: [...commands, broken] });
    const reply = await test.bot.handle(requestFrom('broken'));
    expect(reply).toEqual({
      kind: 'error',
      text: 'Something went wrong on my side; it has been logged. Please try again.',
    });
    const logged = test.logger.lines.join('\n');
    expect(logged).toContain('TypeError: cannot read properties of undefined (token [redacted])');
    expect(logged).not.toContain(secret);
  });
});
