// What the numbers were measured on: CPU model, cores, Node and uWS versions. Benches print it and
// store it with every result, since only ratios travel between machines.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { packagePath } from '../../core/runtime/package-root.js';

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  uws: string;
  date: string;
}

export function machine(): Machine {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux: keep 'unknown'
  }
  let uws = 'unknown';
  try {
    uws = (JSON.parse(readFileSync(packagePath('node_modules/uWebSockets.js/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // keep 'unknown'
  }
  return { cpu, cores: availableParallelism(), node: process.version, uws, date: new Date().toISOString() };
}
