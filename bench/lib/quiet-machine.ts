// The rest of the machine while a bench runs: cores used by processes other than the bench's own
// (a shared machine makes noise), and a bounded wait for them to calm down before a measured run.
// The bench reports the figure it got; it never refuses to measure.

import { cpuSeconds, machineCpu } from './proc-cpu.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cores used over `ms` by anything but this process and `pids` (other processes, interrupts). */
export async function foreignCores(pids: number[], ms: number): Promise<number> {
  const ours = () => pids.reduce((n, pid) => n + cpuSeconds(pid), 0) + (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const m0 = machineCpu();
  const o0 = ours();
  await sleep(ms);
  return (machineCpu().busy - m0.busy - (ours() - o0)) / (ms / 1000);
}

/**
 * Measures foreign cores over 1 s until they fall to `cores` or `maxWaitS` has passed; returns the
 * last figure. `log` hears once that the bench waits, and once if it measures anyway.
 */
export async function waitQuiet(pids: number[], o: { cores: number; maxWaitS: number }, log: (msg: string) => void): Promise<number> {
  const deadline = Date.now() + o.maxWaitS * 1000;
  let told = false;
  for (;;) {
    const other = await foreignCores(pids, 1000);
    if (other <= o.cores) return other;
    if (Date.now() > deadline) {
      log(`machine still busy (${other.toFixed(2)} cores used by other processes): measuring anyway`);
      return other;
    }
    if (!told) log(`machine busy (${other.toFixed(2)} cores used by other processes): waiting up to ${o.maxWaitS} s for it to calm down`);
    told = true;
  }
}
