// CPU time from /proc: a process's own (user + system, /proc/<pid>/stat), the children it waited for
// (from a stat line the caller captured, e.g. a shell wrapper's), and the whole machine's (/proc/stat).
// The server's CPU per request is the bench's headline figure: req/s depends on the load generator
// and the machine, CPU time per request (and its ratio to the ceiling's) much less. Linux only.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime, or with `children` cutime + cstime, of one /proc/<pid>/stat line, in seconds. */
function statSeconds(stat: string, children: boolean): number {
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = children ? 13 : 11;
  return (Number(fields[at]) + Number(fields[at + 1])) / clockTicks();
}

/** Seconds of CPU the process (not its children) has used so far. */
export function cpuSeconds(pid: number): number {
  return statSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), false);
}

/** Seconds of CPU used by the children a process has waited for, from its /proc/<pid>/stat line. */
export function waitedChildrenCpuSeconds(stat: string): number {
  return statSeconds(stat, true);
}

/** Busy (user, nice, system, irq, softirq) and stolen CPU seconds of the whole machine so far. */
export function machineCpu(): { busy: number; steal: number } {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const ticks = clockTicks();
  return { busy: (user! + nice! + system! + irq! + softirq!) / ticks, steal: steal! / ticks };
}
