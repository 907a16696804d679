// A bot started with another model than its index holds: it serves the index with the index's own model, and an
// admin's `/reindex full` switches the index and the bot's model together while members keep searching.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commands } from '../../commands/index.js';
import { createBot } from '../../src/bot/create.js';
import type { Bot, Reply } from '../../src/bot/types.js';
import type { IndexReport } from '../../src/indexer/types.js';
import type { Embedder } from '../../src/model/types.js';
import { openStore } from '../../src/store/open.js';
import type { VectorStore } from '../../src/store/types.js';
import {
  indexFolder,
  memoryLogger,
  photoFolder,
  requestFrom,
  tempDir,
  testConfig,
  tinyModelDir,
} from '../helpers/bot.js';
import { openClipDir, tinyEmbedder } from '../model/helpers/fixtures.js';

const embedderAt = (modelDir: string) => tinyEmbedder({ modelDir, batchSize: 4 });

describe('a model switch from chat', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let photos: Awaited<ReturnType<typeof photoFolder>>;
  let a: Embedder;
  let b: Embedder;
  let store: VectorStore;
  let bot: Bot;

  beforeEach(async () => {
    data = await tempDir();
    photos = await photoFolder();
    const config = testConfig(data.dir);
    [a, b] = await Promise.all([embedderAt(tinyModelDir), embedderAt(openClipDir)]);
    store = await openStore(config);
    await store.ensureIndex({ dims: a.dims, modelId: a.modelId });
    await indexFolder({ config, store, embedder: a }, photos.dir, 'guild-1');
    bot = createBot({ config, embedder: a, switchTo: b, store, logger: memoryLogger(config), commands });
  });
  afterEach(async () => {
    await bot?.close();
    await store?.close();
    await a?.close();
    await b?.close();
    await photos?.remove();
    await data?.remove();
  });

  const admin = { id: 'admin-1', isAdmin: true };
  const text = (reply: Reply) => ('text' in reply ? reply.text : '');

  it('/status names the configured model; /reindex full switches while /find answers throughout', async () => {
    const status = await bot.handle(requestFrom('status'));
    expect(text(status)).toContain(`Model: ${a.modelId} (${a.dims} dimensions)`);
    expect(text(status)).toContain(`Configured model: ${b.modelId}; an admin's /reindex full switches`);
    const member = await bot.handle(requestFrom('reindex', { full: true }));
    expect(member).toMatchObject({ kind: 'error', text: 'Only admins may use /reindex.' });

    const earlier = { actor: { id: 'user-2', isAdmin: false } };
    const before = await bot.handle(requestFrom('find', { text: 'a photo of a cat', count: 1 }, earlier));
    expect(before.kind).toBe('results');
    let done: (report: IndexReport) => void = () => {};
    const finished = new Promise<IndexReport>((resolve) => (done = resolve));
    const started = await bot.handle(requestFrom('reindex', { full: true }, { actor: admin }), {
      onJobDone: (report) => done(report),
    });
    expect(started.kind).toBe('job');
    expect(text(started)).toContain(`Started switching the index from model ${a.modelId} to ${b.modelId}`);
    const second = await bot.handle(
      requestFrom('reindex', { full: true }, { actor: admin, tenant: 'guild-2' }),
    );
    expect(second).toEqual({
      kind: 'error',
      text: 'A model switch is already running; wait for its report.',
    });

    const replies: Reply[] = [];
    let switching = true;
    const searching = (async () => {
      while (switching) replies.push(await bot.handle(requestFrom('find', { text: 'a photo of a cat' })));
    })();
    const report = await finished;
    switching = false;
    await searching;
    // A remembered search of the old model is not continued with the new index.
    expect(await bot.handle(requestFrom('more', {}, earlier))).toEqual({
      kind: 'error',
      text: 'The index moved to a new model since that search; run the search again.',
    });
    // A few more once the switch is over.
    for (let i = 0; i < 3; i++)
      replies.push(await bot.handle(requestFrom('find', { text: 'a photo of a cat' })));

    expect(report).toMatchObject({ new: 4, failed: [] });
    expect(replies.length).toBeGreaterThan(3);
    expect(replies.filter((r) => r.kind !== 'results')).toEqual([]);
    expect(await store.stats()).toMatchObject({ modelId: b.modelId, dims: b.dims, count: 4 });
    const after = await bot.handle(requestFrom('status'));
    expect(text(after)).toContain(`Model: ${b.modelId} (${b.dims} dimensions)`);
    expect(text(after)).not.toContain('Configured model');
    // Now an ordinary full rebuild again.
    const again = await bot.handle(requestFrom('reindex', { full: true }, { actor: admin }));
    expect(text(again)).toContain('Started a full rebuild');
  });

  it('a switch that cannot rebuild every slice stops, and the bot keeps answering with the old model', async () => {
    // A slice no registered source can refill (as a chat channel of a platform this bot is not connected to).
    const [vector] = (await a.embedTexts(['x'])) as Float32Array[];
    await store.upsert([
      {
        image_id: 'orphan',
        image_name: 'orphan.jpg',
        source: 'discord:123',
        tenant: 'guild-2',
        sha256: '0'.repeat(64),
        width: 1,
        height: 1,
        bytes: 1,
        indexed_at: new Date().toISOString(),
        model_id: a.modelId,
        image_embedding: vector!,
      },
    ]);
    let done: (report: IndexReport) => void = () => {};
    const finished = new Promise<IndexReport>((resolve) => (done = resolve));
    await bot.handle(requestFrom('reindex', { full: true }, { actor: admin }), { onJobDone: (r) => done(r) });
    const report = await finished;
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]?.reason).toMatch(
      /also holds discord:123 \(tenant guild-2, 1 images\).*\(still on tiny-clip@fp32\)/s,
    );
    expect(await store.stats()).toMatchObject({ modelId: a.modelId, count: 5 });
    expect((await bot.handle(requestFrom('find', { text: 'a photo of a cat' }))).kind).toBe('results');
  });
});
