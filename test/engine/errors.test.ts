// The error catalogue polices itself (like fastify's test/internals/errors.test.js): every code is
// documented in the README's error table with its status, the table names no code that does not
// exist, and every body is the one error shape.

import { readFile } from 'node:fs/promises';
import t from 'tap';
import { Errors, defaultErrorBodies, errorBody, errorCodes } from '../../engine/core/errors.js';
import { packagePath } from '../../engine/core/package-root.js';

t.test('README error table and the catalogue agree, both ways', async (t) => {
  const readme = await readFile(packagePath('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Errors'), readme.indexOf('\n## ', readme.indexOf('## Errors') + 1));
  const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, m[2]!] as const);
  t.same(rows.map(([code]) => code).sort(), [...errorCodes].sort(), 'same codes');
  for (const [code, status] of rows) {
    t.equal(Errors[code as keyof typeof Errors].status.slice(0, 3), status, `${code} status`);
  }
});

t.test('every entry has a valid status line and a one-shape default body', async (t) => {
  for (const code of errorCodes) {
    t.match(Errors[code].status, /^[1-5]\d\d [A-Z][A-Za-z ]+$/, code);
    t.same(JSON.parse(defaultErrorBodies[code].toString()), { error: code, message: Errors[code].message });
  }
  t.same(JSON.parse(errorBody('bad_param', 'lang is missing').toString()), { error: 'bad_param', message: 'lang is missing' });
});
