// A scratch folder for one test, from tap itself (t.testdir(), under .tap/fixtures): empty when the
// test gets it, removed when the test ends. Each call in the same test gets its own subfolder.
//
// Teardown order: when a test has registered no teardown before its first t.testdir(), tap removes
// the folder BEFORE it runs the test's teardowns, pulling it from under a process or an open log
// that a teardown stops. Registering a teardown first puts the removal after every teardown.

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Test } from 'tap';

const made = new WeakMap<Test, { root: string; n: number }>();

export function scratchDir(t: Test): string {
  let state = made.get(t);
  if (state === undefined) {
    t.teardown(() => {});
    // tap names the folder after the file and the whole chain of test names, in one path component.
    const name = basename(t.testdirName);
    if (name.length > 200) {
      t.testdirName = join(dirname(t.testdirName), `${name.slice(0, 150)}-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`);
    }
    state = { root: t.testdir(), n: 0 };
    made.set(t, state);
  }
  const dir = join(state.root, String(++state.n));
  mkdirSync(dir);
  return dir;
}
