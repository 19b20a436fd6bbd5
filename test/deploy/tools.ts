// The real tools the deploy tests run (docker-compose, yamllint, shellcheck, tsc, Python with PyYAML
// and botocore), found on PATH or reported as a failure naming the Debian package that brings them
// (.ci/run installs them). Never a skip: a check that did not run must not look like one that passed.
//
// YAML is parsed by PyYAML, the YAML library docker-compose and yamllint themselves run on, through
// the Python interpreter of yamllint's #! line (Debian's /usr/bin/python3, where python3-yaml and
// python3-botocore are installed; a `python3` earlier on PATH, e.g. pyenv's, may lack them). The
// project has no YAML library of its own and needs none at run time.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { packagePath } from '../../core/runtime/package-root.js';

export class MissingToolError extends Error {}

/** Absolute path of a command on PATH, or a MissingToolError naming the Debian package to install. */
export function requireTool(command: string, debianPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') {
    throw new MissingToolError(`${command} is not installed: apt-get install ${debianPackage} (.ci/run installs it on a fresh machine)`);
  }
  return path;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool to its end, through sh to drop NODE_OPTIONS: tap's process tracking puts its loader
 * there for every child (even one given its own env), and a tool written in JS (tsc) breaks under it.
 */
export function run(command: string, args: readonly string[], opts: { input?: string; cwd?: string } = {}): RunResult {
  const r = spawnSync('sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', command, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? packagePath('.'),
    input: opts.input,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** [interpreter, ...args] of the Python that yamllint runs on. */
function debianPython(): string[] {
  const yamllint = requireTool('yamllint', 'yamllint');
  const first = readFileSync(yamllint, 'utf8').split('\n', 1)[0] ?? '';
  if (!first.startsWith('#!')) throw new MissingToolError(`${yamllint} has no #! line to find its Python by`);
  return first.slice(2).trim().split(/\s+/);
}

/** Runs a Python script on the tools' interpreter; stdout parsed as JSON. Fails naming the module if an import fails. */
export function python(script: string, args: readonly string[], input?: string): unknown {
  const [interpreter, ...pre] = debianPython();
  const r = run(interpreter!, [...pre, '-c', script, ...args], input === undefined ? {} : { input });
  if (r.status !== 0) {
    const missing = /No module named '([^']+)'/.exec(r.stderr);
    if (missing) throw new MissingToolError(`Python module ${missing[1]} is missing: apt-get install python3-${missing[1]} (.ci/run installs it)`);
    throw new Error(`python exited ${r.status}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

const LOAD_ALL = 'import json, sys, yaml\nprint(json.dumps(list(yaml.safe_load_all(sys.stdin))))';

/** Every document of a YAML text, as JSON values (PyYAML safe_load_all). */
export function yamlDocuments(text: string): unknown[] {
  return python(LOAD_ALL, [], text) as unknown[];
}

export const yamlFile = (repoPath: string): unknown[] => yamlDocuments(readFileSync(packagePath(repoPath), 'utf8'));

/** A JSON-ish value as a plain record (for manifests: objects all the way down). */
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what} is not a mapping`);
  return v;
}
export function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}
