// Child process for the crash test: writes `batches` batches of `size` documents into the embedded store
// under <dataDir>, printing "committed <n>" after each batch is durable, until done (or killed).
import { createEmbeddedStore } from '../../../src/store/embedded/index.js';
import { crashBatch, crashIndex, crashSpec } from './crash-docs.js';

const [dataDir, batches, size] = process.argv.slice(2);
if (!dataDir || !batches || !size) throw new Error('usage: crash-writer <dataDir> <batches> <size>');

// Built up front so the writing loop spends its time in the store, where a kill should land.
const work = Array.from({ length: Number(batches) }, (_, batch) => crashBatch(batch, Number(size)));
const store = await createEmbeddedStore({ dataDir, index: crashIndex, threads: 1 });
await store.ensureIndex(crashSpec);
for (const [batch, docs] of work.entries()) {
  const result = await store.upsert(docs);
  if (result.failed.length > 0) throw new Error(`batch ${batch} failed: ${JSON.stringify(result.failed)}`);
  process.stdout.write(`committed ${batch}\n`);
}
await store.close();
