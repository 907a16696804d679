import ort from 'onnxruntime-node';
import { ServiceError } from '../util/errors.js';
import { InferenceThread } from './inference-thread.js';

/**
 * One batch at a time, parallel inside operators. Worker threads sleep instead of spinning between operators:
 * spinning may win a little on an idle machine, but next to other busy processes (Elasticsearch, image decoding,
 * another job) spinning threads cost 1.5-2x throughput in our measurements on 2 cores (scripts/bench/embedder.ts).
 */
export const sessionOptions = (threads: number): ort.InferenceSession.SessionOptions => ({
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});

/** What a graph must look like to be used: its input names (required and optional) and its output. */
export interface TowerSpec {
  required: string[];
  optional?: string[];
  /** The output to read; without a name the graph must have exactly one output (open_clip exports). */
  output?: string;
}

/** One tower of a model (vision or text): its ONNX graph in an onnxruntime session on its own thread, checked against its spec when loaded. */
export class Tower {
  private constructor(
    readonly file: string,
    private readonly session: InferenceThread,
    readonly inputs: ReadonlyMap<string, ort.InferenceSession.TensorValueMetadata>,
    readonly output: string,
    /** The output's last dimension when the graph states it. */
    readonly dims: number | undefined,
  ) {}

  static async open(file: string, spec: TowerSpec, threads: number): Promise<Tower> {
    let session: InferenceThread;
    try {
      session = await InferenceThread.open(file, sessionOptions(threads));
    } catch (error) {
      throw new ServiceError(
        'model',
        `${file}: cannot be loaded by onnxruntime: ${(error as Error).message}`,
      );
    }
    try {
      return Tower.check(file, session, spec);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  private static check(file: string, session: InferenceThread, spec: TowerSpec): Tower {
    const fail = (why: string) => new ServiceError('model', `${file}: ${why}`);
    const allowed = new Set([...spec.required, ...(spec.optional ?? [])]);
    const inputs = new Map<string, ort.InferenceSession.TensorValueMetadata>();
    for (const meta of session.inputMetadata) {
      if (!allowed.has(meta.name) || !meta.isTensor) {
        throw fail(`unexpected input "${meta.name}" (expected ${[...allowed].join(', ')})`);
      }
      inputs.set(meta.name, meta);
    }
    const missing = spec.required.filter((name) => !inputs.has(name));
    if (missing.length > 0) throw fail(`missing input ${missing.map((m) => `"${m}"`).join(', ')}`);
    const outputs = session.outputMetadata;
    const output =
      spec.output === undefined
        ? outputs.length === 1
          ? outputs[0]
          : undefined
        : outputs.find((meta) => meta.name === spec.output);
    if (!output || !output.isTensor || output.type !== 'float32') {
      const names = session.outputNames.map((n) => `"${n}"`).join(', ');
      const wanted =
        spec.output === undefined ? 'not exactly one float32 output' : `no float32 output "${spec.output}"`;
      throw fail(`${wanted} (outputs: ${names})`);
    }
    const last = output.shape.at(-1);
    return new Tower(file, session, inputs, output.name, typeof last === 'number' ? last : undefined);
  }

  /** Runs one batch and returns each row of the output, L2-normalised. */
  async embed(feeds: Record<string, ort.Tensor>, rows: number): Promise<Float32Array[]> {
    const result = await this.session.run(feeds, [this.output]);
    const tensor = result[this.output] as ort.Tensor;
    const data = tensor.data as Float32Array;
    const dims = tensor.dims;
    if (dims.length !== 2 || dims[0] !== rows) {
      throw new ServiceError('model', `${this.file}: output "${this.output}" has shape [${dims.join(', ')}]`);
    }
    const width = dims[1] as number;
    return Array.from({ length: rows }, (_, i) => normalised(data.subarray(i * width, (i + 1) * width)));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** A copy of `v` scaled to unit length (a zero vector stays zero). */
export function normalised(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(v.length);
  if (norm > 0) for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / norm;
  return out;
}
