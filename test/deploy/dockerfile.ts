// Reading our two Dockerfiles the way the builder does, for the image and manifest tests (there is
// no Docker engine to build them here): instructions with their line continuations and comments,
// stages, ENV, COPY sources and destinations, the final USER, HEALTHCHECK and CMD; .dockerignore
// matching (moby's patternmatcher rules: `*`, `?`, `**`, `!` re-includes, a match on a folder
// covers what is inside, the last matching line wins); and which files a program reaches from its
// entry, by following relative imports, so the tests know what an image must hold.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { packagePath } from '../../core/runtime/package-root.js';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Copy {
  from: string | null;
  sources: string[];
  dest: string;
}

export interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
  /** WORKDIR at the end of the stage (absolute). */
  workdir: string;
  env: Record<string, string>;
  copies: Copy[];
  runs: string[];
  user: string | null;
}

export interface Dockerfile {
  path: string;
  stages: Stage[];
  final: Stage;
}

export function parseDockerfile(repoPath: string): Dockerfile {
  const lines = readFileSync(packagePath(repoPath), 'utf8').split('\n');
  const instructions: Instruction[] = [];
  let current: Instruction | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    // Comment lines are dropped, even inside a continued instruction (as the builder does).
    if (trimmed.startsWith('#')) continue;
    if (current === null) {
      if (trimmed === '') continue;
      const m = /^(\S+)\s*(.*)$/.exec(trimmed)!;
      current = { keyword: m[1]!.toUpperCase(), args: '', line: i + 1 };
      const rest = m[2]!;
      if (rest.endsWith('\\')) current.args = rest.slice(0, -1);
      else {
        current.args = rest;
        instructions.push(current);
        current = null;
      }
    } else if (trimmed.endsWith('\\')) {
      current.args += ' ' + trimmed.slice(0, -1);
    } else {
      current.args += ' ' + trimmed;
      instructions.push(current);
      current = null;
    }
  }
  if (current !== null) instructions.push(current);

  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(ins.args.trim());
      if (!m) throw new Error(`${repoPath}:${ins.line}: unreadable FROM`);
      stages.push({ image: m[1]!, name: m[2] ?? null, instructions: [], workdir: '/', env: {}, copies: [], runs: [], user: null });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (ins.keyword === 'ARG') continue;
      throw new Error(`${repoPath}:${ins.line}: ${ins.keyword} before any FROM`);
    }
    stage.instructions.push(ins);
    switch (ins.keyword) {
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, ins.args.trim());
        break;
      case 'ENV':
        Object.assign(stage.env, parseEnv(ins.args));
        break;
      case 'USER':
        stage.user = ins.args.trim();
        break;
      case 'RUN':
        stage.runs.push(ins.args.trim());
        break;
      case 'COPY':
      case 'ADD': {
        const words = splitWords(ins.args);
        let from: string | null = null;
        const rest: string[] = [];
        for (const w of words) {
          if (w.startsWith('--from=')) from = w.slice('--from='.length);
          else if (!w.startsWith('--')) rest.push(w);
        }
        if (rest.length < 2) throw new Error(`${repoPath}:${ins.line}: COPY needs a source and a destination`);
        const dest = rest.pop()!;
        stage.copies.push({ from, sources: rest.map((s) => posix.normalize(s).replace(/\/$/, '')), dest: posix.resolve(stage.workdir, dest) + (dest.endsWith('/') ? '/' : '') });
        break;
      }
    }
  }
  if (stages.length === 0) throw new Error(`${repoPath}: no FROM`);
  return { path: repoPath, stages, final: stages.at(-1)! };
}

/** Words of an instruction, double quotes grouping (enough for ENV and COPY as we write them). */
function splitWords(s: string): string[] {
  const words: string[] = [];
  for (const m of s.matchAll(/(?:[^\s"]+|"[^"]*")+/g)) words.push(m[0]);
  return words;
}

function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  const words = splitWords(args.trim());
  if (words.length > 0 && !words[0]!.includes('=')) {
    // Legacy form: ENV KEY value with spaces
    out[words[0]!] = args.trim().slice(words[0]!.length).trim();
    return out;
  }
  for (const w of words) {
    const eq = w.indexOf('=');
    out[w.slice(0, eq)] = w.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** The instruction of a stage, last one wins (HEALTHCHECK, CMD, USER...). */
export const lastOf = (stage: Stage, keyword: string): Instruction | undefined => stage.instructions.filter((i) => i.keyword === keyword).at(-1);

/** The command of an exec-form (JSON) or shell-form CMD/HEALTHCHECK CMD as argv. */
export function commandArgv(form: string): string[] {
  const s = form.trim();
  if (s.startsWith('[')) return JSON.parse(s) as string[];
  return ['/bin/sh', '-c', s];
}

/** Where a repo file lands in a stage through its COPY instructions from the build context, or null. */
export function copiedTo(stage: Stage, file: string): string | null {
  let landed: string | null = null;
  for (const c of stage.copies) {
    if (c.from !== null) continue;
    for (const src of c.sources) {
      if (src === file) landed = c.dest.endsWith('/') ? posix.join(c.dest, posix.basename(file)) : c.dest;
      else if (src === '.' ) landed = posix.join(c.dest, file);
      else if (file.startsWith(src + '/')) landed = posix.join(c.dest, file.slice(src.length + 1));
    }
  }
  return landed;
}

// --- .dockerignore

interface IgnoreRule {
  re: RegExp;
  negated: boolean;
}

export const readDockerignore = (): IgnoreRule[] => parseDockerignore(readFileSync(packagePath('.dockerignore'), 'utf8'));

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split('\n')) {
    let p = raw.trim();
    if (p === '' || p.startsWith('#')) continue;
    const negated = p.startsWith('!');
    if (negated) p = p.slice(1).trim();
    p = posix.normalize(p).replace(/^\/+/, '').replace(/\/+$/, '');
    rules.push({ re: patternRegExp(p), negated });
  }
  return rules;
}

function patternRegExp(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` anything.
      if (p[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** True when the file (repo-relative) is left out of the build context. */
export function ignored(rules: readonly IgnoreRule[], file: string): boolean {
  const parts = file.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let out = false;
  for (const r of rules) {
    if (candidates.some((c) => r.re.test(c))) out = !r.negated;
  }
  return out;
}

// --- what a program reaches

export interface Reach {
  /** Source files (repo-relative .ts) reachable from the entry through relative imports, workers and forks. */
  sources: string[];
  /** Files read at run time through packagePath('...'), repo-relative. */
  runtimeFiles: { file: string; from: string }[];
  /** packagePath(...) calls whose argument this reader could not resolve to a string. */
  unresolved: string[];
  /** npm packages the reached sources load at run time (`import type` is erased, so left out). */
  packages: { name: string; from: string }[];
}

/**
 * Follows every relative module specifier (import, export from, dynamic import, new URL('./x.js',
 * import.meta.url) for workers and forked processes) from the entry, and collects the packagePath()
 * arguments: a string literal, or a const of the same file initialised with one.
 */
export function reachFrom(entry: string): Reach {
  const seen = new Set<string>();
  const runtimeFiles: { file: string; from: string }[] = [];
  const unresolved: string[] = [];
  const packages: { name: string; from: string }[] = [];
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(packagePath(file), 'utf8');
    for (const m of src.matchAll(/['"](\.{1,2}\/[^'"\s]+?)\.(?:js|ts)['"]/g)) {
      const target = posix.normalize(posix.join(posix.dirname(file), `${m[1]}.ts`));
      if (existsSync(packagePath(target))) todo.push(target);
      else throw new Error(`${file}: ${m[0]} resolves to no source file (${target})`);
    }
    // With verbatimModuleSyntax only `import type` / `export type` disappear from the output; an
    // import of type specifiers alone stays as `import {} from 'x'`, so it still loads the package.
    for (const m of src.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^;'"]*?\sfrom\s+)?['"]([^'".][^'"]*)['"]|\bimport\(\s*['"]([^'".][^'"]*)['"]\s*\)/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:')) continue;
      const parts = spec.split('/');
      packages.push({ name: spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!, from: file });
    }
    const consts = new Map<string, string>();
    for (const m of src.matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*=\s*'([^']*)'/g)) consts.set(m[1]!, m[2]!);
    for (const m of src.matchAll(/\bpackagePath\(\s*([^)]*?)\s*\)/g)) {
      const arg = m[1]!;
      const literal = /^'([^']*)'$/.exec(arg)?.[1] ?? /^"([^"]*)"$/.exec(arg)?.[1] ?? consts.get(arg);
      if (literal === undefined) unresolved.push(`${file}: packagePath(${arg})`);
      else runtimeFiles.push({ file: posix.normalize(literal), from: file });
    }
  }
  return { sources: [...seen].sort(), runtimeFiles, unresolved, packages };
}

/** The TypeScript entry compiled to dist/<path>.js (tsconfig: rootDir ".", outDir "dist"). */
export const sourceOfDist = (distJs: string): string => distJs.replace(/^dist\//, '').replace(/\.js$/, '.ts');

export const repoFileExists = (file: string): boolean => existsSync(join(packagePath('.'), file)) && !dirname(file).startsWith('..');
