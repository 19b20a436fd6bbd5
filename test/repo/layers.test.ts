// The layer rules (.dependency-cruiser.cjs, docs/architecture.md "Layers") hold on the tree, and
// they can fail: run on a small tree that breaks them, the cruiser reports each broken rule. (A
// cruiser that parses nothing reports no violation either: the second half keeps that honest.)

import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { packagePath } from '../../core/runtime/package-root.js';

const run = promisify(execFile);
const CRUISER = packagePath('node_modules/.bin/depcruise');
const CONFIG = packagePath('.dependency-cruiser.cjs');

/** depcruise's exit code and output, run in `cwd` over `dirs`. */
async function cruise(cwd: string, dirs: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(CRUISER, ['--config', CONFIG, ...dirs], { cwd });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

t.test('the source tree keeps its layers: no violation, and the cruiser really read it', async (t) => {
  const { code, out } = await cruise(packagePath('.'), ['core', 'engine', 'syncer', 'embedded', 'bench']);
  t.equal(code, 0, out);
  const [, modules, deps] = /\((\d+) modules, (\d+) dependencies cruised\)/.exec(out) ?? [];
  t.ok(Number(modules) > 100, `${modules} modules cruised`);
  t.ok(Number(deps) > 400, `${deps} dependencies cruised`);
});

t.test('a tree that breaks the rules fails, naming each rule', async (t) => {
  const dir = t.testdir({ 'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }) });
  const files: Record<string, string> = {
    'core/domain/rule.ts': "import { open } from '../store/adapter.js';\nexport const rule = open;\n",
    'core/store/adapter.ts': "export const open = 1;\n",
    'core/runtime/clock.ts': "import { route } from '../../engine/routes/route.js';\nexport const now = route;\n",
    'engine/routes/route.ts': "import { job } from '../../syncer/job.js';\nexport const route = job;\n",
    'engine/http/reader.ts': "import { route } from '../routes/route.js';\nexport const reader = route;\n",
    'syncer/job.ts': "import { a } from './cycle-a.js';\nexport const job = a;\n",
    'syncer/cycle-a.ts': "import { b } from './cycle-b.js';\nexport const a = b;\n",
    'syncer/cycle-b.ts': "import { a } from './cycle-a.js';\nexport const b = a;\n",
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const { code, out } = await cruise(dir, ['core', 'engine', 'syncer']);
  t.not(code, 0, 'exits non-zero');
  for (const rule of ['domain-is-pure', 'core-stays-shared', 'engine-not-syncer', 'engine-engine-http--not-up', 'no-cycles']) {
    t.match(out, new RegExp(`error ${rule}:`), `reports ${rule}`);
  }
});
