// The repository explains itself: every relative link in its Markdown resolves to a file it holds,
// and no file points at documents outside it (a reader of a clone has nothing else).

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import t from 'tap';
import { packagePath } from '../../core/runtime/package-root.js';

const root = packagePath('.');
/** Tracked files plus new ones not ignored: what a commit of this tree would hold. */
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && existsSync(join(root, f)) && !f.startsWith('bench/results/'));

t.test('every relative link in the Markdown files resolves', async (t) => {
  const markdown = files.filter((f) => f.endsWith('.md'));
  t.ok(markdown.length >= 5, `${markdown.length} Markdown files`);
  for (const file of markdown) {
    const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target!) || target!.startsWith('#')) continue;
      const path = normalize(join(dirname(file), decodeURIComponent(target!.split('#')[0]!)));
      t.ok(!path.startsWith('..') && existsSync(join(root, path)), `${file}: ${target}`);
    }
  }
});

t.test('no file points at documents outside the repository', async (t) => {
  const outside = /DESIGN\.md|STYLE\.md|\.\.\/shared\b/;
  const offenders = files.filter((f) => /\.(ts|md|json|ya?ml|sh|cjs)$|Dockerfile/.test(f) && !f.endsWith('package-lock.json'))
    .filter((f) => outside.test(readFileSync(join(root, f), 'utf8')));
  t.same(offenders, [], 'no file names the design or style notes that live outside the repository');
});
