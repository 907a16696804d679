import { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';

type WireTensor = { type: ort.Tensor.Type; data: ort.Tensor.DataType; dims: readonly number[] };
type Reply =
  | {
      kind: 'ready';
      inputs: ort.InferenceSession.ValueMetadata[];
      outputs: ort.InferenceSession.ValueMetadata[];
    }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; outputs: Record<string, WireTensor> }
  | { kind: 'error'; id: number; message: string };

interface Pending {
  resolve: (outputs: Record<string, ort.Tensor>) => void;
  reject: (error: Error) => void;
}

const workerFile = new URL('./inference-worker.js', import.meta.url);

/**
 * An onnxruntime session living on its own worker thread (src/model/inference-worker.js): `run` hands the
 * input buffers over without copying and resolves when the worker answers; the main event loop stays free
 * meanwhile. The thread keeps the process alive only while a run is pending.
 */
export class InferenceThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Set once the thread is gone (released or crashed): later runs fail with it at once. */
  private gone: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[],
    readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[],
  ) {
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => {
      this.gone ??= new Error(`the inference thread exited (code ${code})`);
      this.failAll(this.gone);
    });
  }

  /** Loads `file` on a new thread; rejects with onnxruntime's message when it cannot be loaded. */
  static open(file: string, options: ort.InferenceSession.SessionOptions): Promise<InferenceThread> {
    const worker = new Worker(workerFile, { workerData: { file, options } });
    return new Promise((resolve, reject) => {
      const exited = (code: number) => fail(new Error(`the inference thread exited (code ${code})`));
      const stopListening = () => {
        worker.off('error', fail);
        worker.off('exit', exited);
      };
      function fail(error: Error) {
        stopListening();
        void worker.terminate();
        reject(error);
      }
      worker.once('error', fail);
      worker.once('exit', exited);
      worker.once('message', (reply: Reply) => {
        stopListening();
        if (reply.kind !== 'ready')
          return fail(new Error(reply.kind === 'failed' ? reply.message : 'no session'));
        worker.unref();
        resolve(new InferenceThread(worker, reply.inputs, reply.outputs));
      });
    });
  }

  get outputNames(): string[] {
    return this.outputMetadata.map((m) => m.name);
  }

  /** Runs one batch. The feeds' buffers move to the worker: they are unusable here afterwards. */
  run(feeds: Record<string, ort.Tensor>, outputs: string[]): Promise<Record<string, ort.Tensor>> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, tensor] of Object.entries(feeds)) {
      wire[name] = { type: tensor.type, data: tensor.data, dims: tensor.dims };
      if (ArrayBuffer.isView(tensor.data)) transfer.push(tensor.data.buffer as ArrayBuffer);
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ kind: 'run', id, feeds: wire, outputs }, transfer);
    });
  }

  async release(): Promise<void> {
    if (this.gone) return;
    this.gone = new Error('the session was released');
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.ref();
    this.worker.postMessage({ kind: 'release' });
    await exited;
  }

  private settle(reply: Reply): void {
    if (reply.kind !== 'result' && reply.kind !== 'error') return;
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.kind === 'error') return pending.reject(new Error(reply.message));
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(reply.outputs))
      tensors[name] = new ort.Tensor(t.type, t.data as Float32Array, t.dims);
    pending.resolve(tensors);
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
