// Reads a V8 .cpuprofile (what `node --cpu-prof` writes at exit) and sums self time: per function
// (name + file:line) and per category, the category chosen by the caller from a sample's stack
// (the sampled frame first, then its callers). Percentages are of the busy time: every sample
// except "(idle)", so they read as shares of the process's CPU.

import { readFileSync } from 'node:fs';

export interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: Frame & { scriptId: string; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time, 0..1. */
  share: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  wallMs: number;
  /** Sampled time outside "(idle)", ms. */
  busyMs: number;
  samples: number;
  /** True when only samples inside the window were counted (false: no sample fell in it, all were). */
  windowed: boolean;
  byFunction: SelfTime[];
  byCategory: SelfTime[];
}

/** A short, stable name for a frame: `fn (file:line)`, with the path cut to what identifies it. */
export function frameName(f: Frame): string {
  const fn = f.functionName === '' ? '(anonymous)' : f.functionName;
  if (f.url === '') return fn;
  const url = f.url.replace(/^file:\/\//, '');
  const short = url.includes('/node_modules/')
    ? url.slice(url.lastIndexOf('/node_modules/') + '/node_modules/'.length)
    : url.includes('/dist/')
      ? url.slice(url.lastIndexOf('/dist/') + '/dist/'.length)
      : url;
  return `${fn} (${short}:${f.lineNumber + 1})`;
}

/**
 * `window`: count only samples taken between these CLOCK_MONOTONIC µs (V8's profile timestamps on
 * Linux, the same clock as process.hrtime in another process), e.g. only while the load ran.
 */
export function summariseCpuProfile(
  file: string,
  categorise: (stack: readonly Frame[]) => string,
  top = 25,
  window?: { fromUs: number; toUs: number },
): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const stackCache = new Map<number, Frame[]>();
  const stackOf = (id: number): Frame[] => {
    let s = stackCache.get(id);
    if (s === undefined) {
      s = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) s.push(byId.get(at)!.callFrame);
      stackCache.set(id, s);
    }
    return s;
  };
  // Sample i lasts until sample i + 1 (DevTools' convention); the last one gets the mean.
  const mean = p.samples.length === 0 ? 0 : (p.endTime - p.startTime) / p.samples.length;
  const at: number[] = [];
  let t = p.startTime;
  for (const d of p.timeDeltas) at.push((t += d));
  const inWindow = (i: number) => window === undefined || (at[i]! >= window.fromUs && at[i]! <= window.toUs);
  const windowed = window !== undefined && p.samples.some((_, i) => inWindow(i));
  if (!windowed) window = undefined;
  const fn = new Map<string, number>();
  const cat = new Map<string, number>();
  let busy = 0;
  let wall = 0;
  let counted = 0;
  for (let i = 0; i < p.samples.length; i++) {
    if (!inWindow(i)) continue;
    const us = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1]! : mean;
    wall += us;
    counted++;
    const stack = stackOf(p.samples[i]!);
    const self = stack[0]!;
    if (self.functionName === '(idle)') continue;
    busy += us;
    const name = frameName(self);
    fn.set(name, (fn.get(name) ?? 0) + us);
    const c = categorise(stack);
    cat.set(c, (cat.get(c) ?? 0) + us);
  }
  const list = (m: Map<string, number>, n: number): SelfTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busy === 0 ? 0 : us / busy }));
  return {
    wallMs: wall / 1000,
    busyMs: busy / 1000,
    samples: counted,
    windowed,
    byFunction: list(fn, top),
    byCategory: list(cat, Infinity),
  };
}
