/**
 * Writes tiny but real ONNX models (protobuf by hand, opset 13) whose input names, types and output size a test
 * chooses: a mean over the input followed by a MatMul to `dims` outputs. onnxruntime loads and runs them, so
 * folder validation is tested against real sessions instead of a mock.
 */

type Bytes = number[];

const varint = (n: number): Bytes => {
  const out: Bytes = [];
  let v = n;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
};
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number): Bytes => [...key(field, 0), ...varint(n)];
const bytes = (field: number, payload: Bytes): Bytes => [
  ...key(field, 2),
  ...varint(payload.length),
  ...payload,
];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

const FLOAT = 1;
const INT64 = 7;

/** ValueInfoProto of a tensor; string dims are symbolic (e.g. "batch_size"). */
const valueInfo = (name: string, elemType: number, shape: (number | string)[]) => {
  const dims = shape.map((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, elemType), ...bytes(2, dims.flat())];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
};

const attrInts = (name: string, values: number[]) => [
  ...str(1, name),
  ...values.flatMap((v) => int(8, v)),
  ...int(20, 7),
];
const attrInt = (name: string, value: number) => [...str(1, name), ...int(3, value), ...int(20, 2)];

const node = (op: string, inputs: string[], outputs: string[], attributes: Bytes[] = []) => [
  ...inputs.flatMap((i) => str(1, i)),
  ...outputs.flatMap((o) => str(2, o)),
  ...str(4, op),
  ...attributes.flatMap((a) => bytes(5, a)),
];

const floatTensor = (name: string, dims: number[], values: number[]) => {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return [...dims.flatMap((d) => int(1, d)), ...int(2, FLOAT), ...str(8, name), ...bytes(9, [...raw])];
};

export interface TinyGraph {
  /** Input names; for an image graph [batch, 3, 224, 224] float, for a text graph [batch, seq] int64. */
  inputs: string[];
  output: string;
  dims: number;
  kind: 'image' | 'text';
}

export function tinyOnnx(graph: TinyGraph): Buffer {
  const first = graph.inputs[0] as string;
  const nodes: Bytes[] = [];
  let features: string;
  let width: number;
  if (graph.kind === 'image') {
    nodes.push(node('ReduceMean', [first], ['mean'], [attrInts('axes', [2, 3]), attrInt('keepdims', 0)]));
    features = 'mean';
    width = 3;
  } else {
    nodes.push(node('Cast', [first], ['as_float'], [attrInt('to', FLOAT)]));
    nodes.push(node('ReduceMean', ['as_float'], ['mean'], [attrInts('axes', [1]), attrInt('keepdims', 1)]));
    features = 'mean';
    width = 1;
  }
  nodes.push(node('MatMul', [features, 'weight'], [graph.output]));
  const weights = Array.from({ length: width * graph.dims }, (_, i) => ((i * 37) % 11) / 11 - 0.5);
  const inputs = graph.inputs.map((name) =>
    graph.kind === 'image'
      ? valueInfo(name, FLOAT, ['batch_size', 3, 224, 224])
      : valueInfo(name, INT64, ['batch_size', 'sequence_length']),
  );
  const body = [
    ...nodes.flatMap((n) => bytes(1, n)),
    ...str(2, 'tiny'),
    ...bytes(5, floatTensor('weight', [width, graph.dims], weights)),
    ...inputs.flatMap((i) => bytes(11, i)),
    ...bytes(12, valueInfo(graph.output, FLOAT, ['batch_size', graph.dims])),
  ];
  const model = [...int(1, 8), ...bytes(8, [...str(1, ''), ...int(2, 13)]), ...bytes(7, body)];
  return Buffer.from(model);
}
