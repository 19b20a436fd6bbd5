// The deploy linters, run for real: yamllint over every YAML file under deploy/ (compose,
// Kubernetes, Prometheus, Grafana provisioning) with the committed rules in deploy/.yamllint.yaml,
// warnings counted as failures; shellcheck over every shell script in the repository (by .sh
// extension or a sh/bash #! line). A missing tool fails with the Debian package to install.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { packagePath } from '../../core/runtime/package-root.js';
import { requireTool, run } from './tools.js';

const root = packagePath('.');
const SKIP = new Set(['node_modules', '.git', 'dist', '.tap', 'coverage', 'data']);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(relative(root, path));
  }
  return out;
}

t.test('yamllint --strict: every YAML file under deploy/', async (t) => {
  const yamllint = requireTool('yamllint', 'yamllint');
  const files = walk(packagePath('deploy')).filter((f) => /\.ya?ml$/.test(f));
  t.ok(files.includes('deploy/compose.yaml') && files.some((f) => f.startsWith('deploy/k8s/')), `${files.length} files`);
  const listed = run(yamllint, ['--list-files', '-c', 'deploy/.yamllint.yaml', 'deploy']).stdout.split('\n').filter(Boolean).sort();
  t.same(listed, files.sort(), 'yamllint finds all of them (none ignored)');
  const r = run(yamllint, ['--strict', '-f', 'parsable', '-c', 'deploy/.yamllint.yaml', ...files]);
  t.equal(r.status, 0, r.stdout.trim() || 'clean');
});

t.test('yamllint catches what the rules forbid (the config is live)', async (t) => {
  const yamllint = requireTool('yamllint', 'yamllint');
  const bad = 'key: yes\nlong: ' + 'x'.repeat(130) + '\n';
  const r = run(yamllint, ['--strict', '-f', 'parsable', '-c', 'deploy/.yamllint.yaml', '-'], { input: bad });
  t.equal(r.status, 1, 'exit 1');
  t.match(r.stdout, /document-start/, 'a file without ---');
  t.match(r.stdout, /truthy/, 'yes for a boolean');
  t.match(r.stdout, /line-length/, 'a line over 120 characters');
});

t.test('shellcheck: every shell script in the repository', async (t) => {
  const shellcheck = requireTool('shellcheck', 'shellcheck');
  const scripts = walk(root).filter((f) => /\.(sh|bash)$/.test(f) || /^#!\S*(\/|env\s+)(ba|da)?sh\b/.test(readFileSync(join(root, f), 'utf8').slice(0, 64)));
  t.ok(scripts.includes('deploy/compose/create-bucket.sh'), scripts.join(', '));
  const r = run(shellcheck, ['--format=gcc', ...scripts]);
  t.equal(r.status, 0, r.stdout.trim() || 'clean');
});
