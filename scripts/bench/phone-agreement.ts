// Agreement of the fast decode of phone photos with a full-size decode: each 12 MP JPEG of the phone corpus
// (scripts/bench/indexer.ts --phone) is embedded as the indexer does it (decoded once: shrunk on load and turned
// upright to twice the model's input, the pixels the thumbnail is also made from, then resized to the model's
// input) and from a lossless PNG of its full-size upright pixels (no shrink on load possible, one resampling),
// with the same model; prints the image cosine of each pair.
//
//   node bin/run-ts.js scripts/bench/phone-agreement.ts --images /tmp/lean/phone-images/round-0 [--model DIR] [--count 8]
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { parseConfig } from '../../src/config/load.js';
import { openEmbedder } from '../../src/model/index.js';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string' },
    model: { type: 'string', default: '/tmp/lookalike-bench-models/openai' },
    count: { type: 'string', default: '8' },
  },
});
if (!args.images) throw new Error('--images DIR is required (a folder of the phone corpus)');
const files = readdirSync(args.images)
  .filter((f) => f.endsWith('.jpg'))
  .sort()
  .slice(0, Number(args.count));
const embedder = await openEmbedder(parseConfig({ LOOKALIKE_MODEL_DIR: args.model }));
const cosines: number[] = [];
const vectors: Float32Array[] = [];
for (const file of files) {
  const jpeg = readFileSync(path.join(args.images, file));
  const png = await sharp(jpeg).rotate().png({ compressionLevel: 1 }).toBuffer();
  // As the indexer asks for it (the pixels kept for the thumbnail), then the reference as any image.
  const { upright, ...prepared } = await embedder.prepareImage(
    { name: file, bytes: jpeg },
    { keepUpright: true },
  );
  if (!upright) throw new Error(`${file}: not decoded once (not a large JPEG?)`);
  const [fast] = await embedder.embedPrepared([prepared]);
  const [full] = await embedder.embedImages([{ name: `${file}.png`, bytes: png }]);
  if (!(fast instanceof Float32Array) || !(full instanceof Float32Array))
    throw new Error(`${file}: not embedded`);
  let dot = 0;
  for (let i = 0; i < fast.length; i++) dot += (fast[i] as number) * (full[i] as number);
  cosines.push(dot);
  vectors.push(fast);
  const { orientation } = await sharp(jpeg).metadata();
  console.log(
    `${file} orientation ${orientation ?? 1}, decoded once to ${upright.width}x${upright.height}: cosine ${dot.toFixed(6)} (1 - cosine ${(1 - dot).toExponential(2)})`,
  );
}
// A control: how far apart two different photos of the corpus are with this model (a model whose vectors barely
// move between photos would make any agreement look perfect).
let control = 1;
for (let i = 1; i < vectors.length; i++) {
  let dot = 0;
  for (let k = 0; k < vectors[0]!.length; k++) dot += (vectors[0]![k] as number) * (vectors[i]![k] as number);
  control = Math.min(control, dot);
}
console.log(`control: the lowest cosine between the first photo and the others is ${control.toFixed(6)}`);
console.log(
  `${embedder.modelId}: min ${Math.min(...cosines).toFixed(6)}, mean ${(cosines.reduce((a, b) => a + b) / cosines.length).toFixed(6)} over ${cosines.length}; load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
await embedder.close();
