import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes a benchmark's generated report to `file`, keeping what the file already has from its first `## `
 * heading on: the analysis written by hand below the generated tables stays when the benchmark runs again.
 */
export function writeReport(file: string, generated: string): void {
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const analysis = before.indexOf('\n## ');
  writeFileSync(file, generated.trimEnd() + '\n' + (analysis >= 0 ? before.slice(analysis) : ''));
}
