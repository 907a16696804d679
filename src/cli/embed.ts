import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { openEmbedder } from '../model/index.js';
import type { EmbedOutcome } from '../model/types.js';

interface EmbedInput {
  kind: 'text' | 'image';
  input: string;
}

interface EmbedFlags {
  inputs?: EmbedInput[];
  model?: string;
  textModel?: string;
  precision?: 'fp32' | 'fp16' | 'quantized';
  json?: boolean;
}

/** `lookalike embed`: prints the embedding of each text and image, one line per input in the order given. */
export function registerEmbedCommand(program: Command): void {
  const embed = program
    .command('embed')
    .description(
      'Print embeddings of texts and images (one line each, in the order given); exit 1 if any failed',
    )
    .option('--text <text>', 'a text to embed (repeatable)')
    .option('--image <file>', 'an image file to embed (repeatable)')
    .option('--model <dir>', 'model folder (overrides LOOKALIKE_MODEL_DIR)')
    .option('--text-model <dir>', 'separate text encoder folder (overrides LOOKALIKE_TEXT_MODEL_DIR)')
    .addOption(
      new Option('--precision <precision>', 'overrides LOOKALIKE_PRECISION').choices([
        'fp32',
        'fp16',
        'quantized',
      ]),
    )
    .option('--json', 'JSON lines: {"kind","input","embedding"} or {"kind","input","error"}')
    .action(async (flags: EmbedFlags, command: Command) => {
      const inputs = flags.inputs ?? [];
      if (inputs.length === 0) command.error('error: give at least one --text or --image');
      const loaded = loadConfig();
      const config = {
        ...loaded,
        LOOKALIKE_MODEL_DIR: flags.model ?? loaded.LOOKALIKE_MODEL_DIR,
        LOOKALIKE_TEXT_MODEL_DIR: flags.textModel ?? loaded.LOOKALIKE_TEXT_MODEL_DIR,
        LOOKALIKE_PRECISION: flags.precision ?? loaded.LOOKALIKE_PRECISION,
      };
      const embedder = await openEmbedder(config);
      try {
        const outcomes = await embedAll(inputs, embedder);
        inputs.forEach((item, i) =>
          process.stdout.write(line(item, outcomes[i] as EmbedOutcome, flags.json)),
        );
        if (outcomes.some((o) => !(o instanceof Float32Array))) process.exitCode = 1;
      } finally {
        await embedder.close();
      }
    });
  // Every --text and --image joins one list as commander meets it, so the output keeps the command-line order.
  for (const kind of ['text', 'image'] as const) {
    embed.on(`option:${kind}`, (input: string) =>
      embed.setOptionValue('inputs', [...(embed.getOptionValue('inputs') ?? []), { kind, input }]),
    );
  }
}

async function embedAll(
  inputs: EmbedInput[],
  embedder: Awaited<ReturnType<typeof openEmbedder>>,
): Promise<EmbedOutcome[]> {
  const texts = inputs.filter((i) => i.kind === 'text');
  const images = inputs.filter((i) => i.kind === 'image');
  const textOut = await embedder.embedTexts(texts.map((t) => t.input));
  const imageOut = await embedder.embedImages(
    images.map((i) => ({ name: i.input, path: path.resolve(i.input) })),
  );
  return inputs.map((i) => (i.kind === 'text' ? textOut.shift() : imageOut.shift()) as EmbedOutcome);
}

function line(item: EmbedInput, outcome: EmbedOutcome, json: boolean | undefined): string {
  const ok = outcome instanceof Float32Array;
  if (json) {
    const result = ok ? { embedding: Array.from(outcome) } : { error: outcome.reason };
    return `${JSON.stringify({ kind: item.kind, input: item.input, ...result })}\n`;
  }
  if (!ok) return `${item.kind}\t${item.input}\terror: ${outcome.reason}\n`;
  const head = Array.from(outcome.subarray(0, 4), (x) => x.toFixed(4)).join(', ');
  return `${item.kind}\t${item.input}\t[${head}, ...] (${outcome.length} dims)\n`;
}
