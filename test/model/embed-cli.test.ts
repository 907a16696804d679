// `lookalike embed` run as a user runs it: node bin/lookalike.js in a child process.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import {
  clipDir,
  cosine,
  fixtures,
  multilingualDir,
  readExpected,
  tempFolder,
  type Expected,
} from './helpers/fixtures.js';

interface Line {
  kind: 'text' | 'image';
  input: string;
  embedding?: number[];
  error?: string;
}

const image = (name: string) => path.join(fixtures, 'images', name);
const parse = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

let temp: Awaited<ReturnType<typeof tempFolder>>;
let expected: Expected;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  temp = await tempFolder('lookalike-embed-cli-');
  expected = await readExpected(clipDir);
  // No model configured: --model must be what finds it.
  env = isolatedEnv(temp.dir, { LOOKALIKE_MODEL_DIR: '' });
});
afterAll(() => temp.remove());

const reference = (file: string) =>
  expected.images.find((i) => i.file === `images/${file}`)?.embedding as number[];
const referenceText = (text: string) => expected.texts.find((t) => t.text === text)?.embedding as number[];

describe('lookalike embed', () => {
  it('prints one JSON line per input in command-line order, errors included, and exits 1', async () => {
    const result = await runCli(
      [
        'embed',
        '--model', clipDir,
        '--image', image('photo-cat.jpg'),
        '--text', 'a photo of a cat',
        '--image', image('truncated.jpg'),
        '--text', '',
        '--image', image('photo-coffee.webp'),
        '--json',
      ],
      env,
    ); // prettier-ignore
    expect(result.code).toBe(1);
    const lines = parse(result.stdout);
    expect(lines.map((l) => [l.kind, l.input])).toEqual([
      ['image', image('photo-cat.jpg')],
      ['text', 'a photo of a cat'],
      ['image', image('truncated.jpg')],
      ['text', ''],
      ['image', image('photo-coffee.webp')],
    ]);
    expect(cosine(lines[0]?.embedding as number[], reference('photo-cat.jpg'))).toBeGreaterThan(0.999);
    expect(cosine(lines[1]?.embedding as number[], referenceText('a photo of a cat'))).toBeGreaterThan(
      0.9999,
    );
    expect(lines[2]).toEqual({
      kind: 'image',
      input: image('truncated.jpg'),
      error: expect.stringMatching(/cannot be decoded/),
    });
    expect(cosine(lines[3]?.embedding as number[], referenceText(''))).toBeGreaterThan(0.9999);
    expect(cosine(lines[4]?.embedding as number[], reference('photo-coffee.webp'))).toBeGreaterThan(0.999);
    expect(lines[4]?.embedding).toHaveLength(512);
  });

  it('exits 0 when everything embedded; --text-model and --precision pick the encoders', async () => {
    const multilingual = await readExpected(multilingualDir);
    const text = multilingual.texts.find((t) => t.id === 'ru') as Expected['texts'][number];
    const result = await runCli(
      [
        'embed',
        '--model',
        clipDir,
        '--text-model',
        multilingualDir,
        '--precision',
        'fp16',
        '--text',
        text.text,
        '--json',
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const [line] = parse(result.stdout);
    expect(cosine(line?.embedding as number[], text.embedding)).toBeGreaterThan(0.9999);
  });

  it('names a model folder that is not there', async () => {
    const result = await runCli(['embed', '--model', path.join(temp.dir, 'none'), '--text', 'x'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path.join(temp.dir, 'none')}: model folder not found`);
    expect(result.stdout).toBe('');
  });
});
