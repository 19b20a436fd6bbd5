// Writes a bench's results: bench/results/<stamp>-<name>.json (every figure) and .md (the summary
// table), and bench/results/latest-<name>.md so the newest summary has a stable path.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../core/runtime/package-root.js';

export function writeResults(name: string, json: unknown, markdown: string): string[] {
  const dir = packagePath('bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const files = [join(dir, `${stamp}-${name}.json`), join(dir, `${stamp}-${name}.md`), join(dir, `latest-${name}.md`)];
  writeFileSync(files[0]!, JSON.stringify(json, null, 2) + '\n');
  writeFileSync(files[1]!, markdown);
  writeFileSync(files[2]!, markdown);
  return files;
}

/** A Markdown table from rows of cells. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A number for a report: thousands separators, `digits` decimals, 'n/a' for NaN and infinities. */
export function formatNumber(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
}
