// @ts-check
// One onnxruntime session on its own thread, so a run never blocks the main event loop (chat gateways,
// HTTP acks and decoding keep going while a batch runs). Plain JavaScript: worker threads do not get the
// TypeScript loader that the main thread runs under (tsx or vitest).
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

/** @typedef {{ type: ort.Tensor.Type, data: ort.Tensor.DataType, dims: readonly number[] }} WireTensor */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { file, options } = /** @type {{ file: string, options: ort.InferenceSession.SessionOptions }} */ (
  workerData
);

/** @param {readonly ort.InferenceSession.ValueMetadata[]} list */
const plainMetadata = (list) =>
  list.map((m) =>
    m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { ...m },
  );

/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/** @type {ort.InferenceSession} */
let session;
try {
  session = await ort.InferenceSession.create(file, options);
} catch (error) {
  port.postMessage({ kind: 'failed', message: messageOf(error) });
  process.exit(0);
}
port.postMessage({
  kind: 'ready',
  inputs: plainMetadata(session.inputMetadata),
  outputs: plainMetadata(session.outputMetadata),
});

port.on(
  'message',
  /** @param {{ kind: 'run', id: number, feeds: Record<string, WireTensor>, outputs: string[] } | { kind: 'release' }} message */
  async (message) => {
    if (message.kind === 'release') {
      await session.release();
      port.close();
      return;
    }
    try {
      /** @type {Record<string, ort.Tensor>} */
      const feeds = {};
      for (const [name, t] of Object.entries(message.feeds))
        feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const result = await session.run(feeds, message.outputs);
      /** @type {Record<string, WireTensor>} */
      const outputs = {};
      /** @type {ArrayBuffer[]} */
      const transfer = [];
      for (const name of message.outputs) {
        const t = /** @type {ort.Tensor} */ (result[name]);
        outputs[name] = { type: t.type, data: t.data, dims: t.dims };
        if (ArrayBuffer.isView(t.data)) transfer.push(/** @type {ArrayBuffer} */ (t.data.buffer));
      }
      port.postMessage({ kind: 'result', id: message.id, outputs }, transfer);
    } catch (error) {
      port.postMessage({ kind: 'error', id: message.id, message: messageOf(error) });
    }
  },
);
