// CPU over one load window: what each named process used (/proc/<pid>/stat), what this process used
// (the load generator, when it is autocannon), the wall time, and the cores used by everything else
// on the machine (other processes, interrupts, loopback softirq work not charged to a process).

import { cpuSeconds, machineCpu } from './proc-cpu.js';

export interface CpuWindow<K extends string, T> {
  /** What `load` resolved with. */
  result: T;
  wallS: number;
  /** performance.now() when the load ended. */
  endMs: number;
  /** CPU seconds of each process when the window opened, and used over it. */
  from: Record<K, number>;
  used: Record<K, number>;
  /** CPU seconds this process used over the window. */
  selfS: number;
  /** Cores used by anything but the named processes, this one and `externalCpuS` (e.g. wrk's). */
  otherCores: number;
  /** Cores the hypervisor stole. */
  stealCores: number;
}

export async function cpuWindow<K extends string, T>(
  pids: Record<K, number>,
  load: () => Promise<T>,
  externalCpuS: (result: T) => number = () => 0,
): Promise<CpuWindow<K, T>> {
  const names = Object.keys(pids) as K[];
  const read = () => Object.fromEntries(names.map((n) => [n, cpuSeconds(pids[n])])) as Record<K, number>;
  const from = read();
  const m0 = machineCpu();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await load();
  const endMs = performance.now();
  const wallS = (endMs - t0) / 1000;
  const to = read();
  const m1 = machineCpu();
  const self = process.cpuUsage(self0);
  const used = Object.fromEntries(names.map((n) => [n, to[n] - from[n]])) as Record<K, number>;
  const selfS = (self.user + self.system) / 1e6;
  const ours = names.reduce((sum, n) => sum + used[n], 0) + selfS + (externalCpuS(result) || 0);
  return {
    result,
    wallS,
    endMs,
    from,
    used,
    selfS,
    otherCores: (m1.busy - m0.busy - ours) / wallS,
    stealCores: (m1.steal - m0.steal) / wallS,
  };
}
