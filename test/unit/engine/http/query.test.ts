// The hot-path query scanner: values by name, and every way a parameter can be malformed. Then the
// scanner against a reference: it scans natively (indexOf, one regex) and decodes the common
// escapes itself; the straightforward reference below (the per-character scanner it replaced, with
// decodeURIComponent for every escaped value) must agree on many generated queries: same result,
// same values, same problem and parameter, query for query.

import t from 'tap';
import { MAX_QUERY_LENGTH, QueryProblem, QueryReader, type ParamSpec } from '../../../../engine/http/query.js';

const reader = () => new QueryReader([{ name: 'country', maxLength: 8 }, { name: 'lang', maxLength: 8 }, { name: 'k', maxLength: 4 }]);

t.test('reads values by name, ignores unknown names, resets between reads', async (t) => {
  const q = reader();
  t.ok(q.read('lang=eng&x=%zz&country=us&_=123'));
  t.same(q.values, ['us', 'eng', undefined]);
  t.ok(q.read('k=ab'));
  t.same(q.values, [undefined, undefined, 'ab'], 'nothing left from the previous read');
  t.ok(q.read(''));
  t.same(q.values, [undefined, undefined, undefined]);
  t.ok(q.read('country=us&&lang=eng&'), 'empty segments and a trailing & are fine');
  t.same(q.values, ['us', 'eng', undefined]);
  t.ok(q.read('country=a%20b&lang=a+b&k=%7E'), '%20 and + decode to a space');
  t.same(q.values, ['a b', 'a b', '~']);
  t.ok(q.read('countryx=1&xcountry=2'), 'names match whole');
  t.same(q.values, [undefined, undefined, undefined]);
});

t.test("a literalPlus parameter keeps '+' as a plus; %20 is still a space, %2B still a plus", async (t) => {
  const q = new QueryReader([{ name: 'email', maxLength: 8, literalPlus: true }, { name: 'k', maxLength: 8 }]);
  t.ok(q.read('email=a+b&k=a+b'));
  t.same(q.values, ['a+b', 'a b'], 'only the literalPlus parameter');
  t.ok(q.read('email=a+b%40c'), "with an escape in the same value (the decoding path)");
  t.same(q.values, ['a+b@c', undefined]);
  t.ok(q.read('email=a%2Bb%20c'));
  t.same(q.values, ['a+b c', undefined]);
  t.ok(q.read('email=+'));
  t.same(q.values, ['+', undefined], "a '+' alone is a value, not an empty one");
  t.notOk(q.read(`email=${'+'.repeat(9)}`));
  t.equal(q.problem, QueryProblem.TooLong);
});

t.test('each problem names the parameter', async (t) => {
  const cases: [string, QueryProblem, number][] = [
    ['country=', QueryProblem.Empty, 0],
    ['lang', QueryProblem.Empty, 1],
    ['country=us&country=us', QueryProblem.Repeated, 0],
    ['lang=e&lang=', QueryProblem.Repeated, 1],
    ['country=abcdefghi', QueryProblem.TooLong, 0],
    [`k=${'%41'.repeat(5)}`, QueryProblem.TooLong, 2],
    ['k=%zz', QueryProblem.BadEncoding, 2],
    ['k=%', QueryProblem.BadEncoding, 2],
    ['k=%C3', QueryProblem.BadEncoding, 2],
    ['k=%C3%A9', QueryProblem.NotAscii, 2],
    ['k=%00', QueryProblem.NotAscii, 2],
    ['k=\u00e9', QueryProblem.NotAscii, 2],
    ['k=a b', QueryProblem.NotAscii, 2],
    [`x=${'y'.repeat(MAX_QUERY_LENGTH)}`, QueryProblem.QueryTooLong, -1],
  ];
  for (const [raw, problem, param] of cases) {
    const q = reader();
    t.notOk(q.read(raw), raw.slice(0, 40));
    t.equal(q.problem, problem, `${raw.slice(0, 40)}: problem`);
    t.equal(q.problemParam, param, `${raw.slice(0, 40)}: param`);
  }
});

interface Outcome {
  ok: boolean;
  values: (string | undefined)[];
  problem: QueryProblem;
  problemParam: number;
}

function reference(specs: readonly ParamSpec[], raw: string): Outcome {
  const values: (string | undefined)[] = specs.map(() => undefined);
  const fail = (problem: QueryProblem, problemParam: number): Outcome => ({ ok: false, values, problem, problemParam });
  const n = raw.length;
  if (n > MAX_QUERY_LENGTH) return fail(QueryProblem.QueryTooLong, -1);
  let i = 0;
  while (i < n) {
    const keyStart = i;
    let c = 0;
    while (i < n && (c = raw.charCodeAt(i)) !== 38 && c !== 61) i++;
    const slot = specs.findIndex((s) => s.name === raw.slice(keyStart, i));
    if (slot < 0) {
      const amp = c === 61 ? raw.indexOf('&', i) : i;
      i = amp === -1 ? n : amp + 1;
      continue;
    }
    if (values[slot] !== undefined) return fail(QueryProblem.Repeated, slot);
    if (c === 61) i++;
    const from = i;
    const plusIsSpace = specs[slot]!.literalPlus !== true;
    let escaped = false;
    let nonAscii = false;
    while (i < n && (c = raw.charCodeAt(i)) !== 38) {
      if (c === 37 || (c === 43 && plusIsSpace)) escaped = true;
      else if (c < 0x21 || c > 0x7e) nonAscii = true;
      i++;
    }
    if (nonAscii) return fail(QueryProblem.NotAscii, slot);
    const maxLength = specs[slot]!.maxLength;
    if (i === from) return fail(QueryProblem.Empty, slot);
    if (!escaped) {
      if (i - from > maxLength) return fail(QueryProblem.TooLong, slot);
      values[slot] = raw.slice(from, i);
    } else {
      if (i - from > maxLength * 3) return fail(QueryProblem.TooLong, slot);
      let decoded: string;
      try {
        const value = raw.slice(from, i);
        decoded = decodeURIComponent(plusIsSpace ? value.replace(/\+/g, ' ') : value);
      } catch {
        return fail(QueryProblem.BadEncoding, slot);
      }
      for (let k = 0; k < decoded.length; k++) {
        const d = decoded.charCodeAt(k);
        if (d < 0x20 || d > 0x7e) return fail(QueryProblem.NotAscii, slot);
      }
      if (decoded.length === 0) return fail(QueryProblem.Empty, slot);
      if (decoded.length > maxLength) return fail(QueryProblem.TooLong, slot);
      values[slot] = decoded;
    }
    i++;
  }
  return { ok: true, values, problem: QueryProblem.None, problemParam: -1 };
}

/** A small deterministic PRNG (mulberry32), so a failure names a reproducible seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const specs: ParamSpec[] = [
  { name: 'email', maxLength: 12, literalPlus: true },
  { name: 'k', maxLength: 4 },
  { name: 'api_key', maxLength: 8 },
];

// Pieces chosen to hit every branch: names (ours, near misses, empty), separators, escapes of every
// kind (printable, control, DEL, UTF-8 lead and continuation bytes, malformed, truncated), '+', and
// characters outside printable ASCII.
const pieces = [
  'email', 'k', 'api_key', 'emai', 'kk', 'x', '', '=', '=', '&', '&', 'a', 'B', 'z9', '.', '@',
  '%40', '%20', '%7e', '%7E', '%2B', '%25', '%26', '%3D', '%41%42', '%00', '%1f', '%7F', '%80', '%C3', '%C3%A9',
  '%E2%82%AC', '%zz', '%4', '%', '%g0', '+', '++', ' ', '\t', '\u00e9', '\u20ac', '\ud83d\ude00', '~', '"',
];

t.test('agrees with the reference scanner on generated queries', async (t) => {
  const q = new QueryReader(specs);
  const random = rng(20261123);
  let mismatches = 0;
  for (let n = 0; n < 60_000 && mismatches < 5; n++) {
    const parts = 1 + Math.floor(random() * 14);
    let raw = '';
    for (let p = 0; p < parts; p++) raw += pieces[Math.floor(random() * pieces.length)]!;
    const want = reference(specs, raw);
    const ok = q.read(raw);
    const got: Outcome = { ok, values: [...q.values], problem: q.problem, problemParam: q.problemParam };
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      mismatches++;
      t.same(got, want, JSON.stringify(raw));
    }
  }
  t.equal(mismatches, 0, 'no query read differently');
});

t.test('agrees on the edges: long queries, long values, escapes at the end', async (t) => {
  const q = new QueryReader(specs);
  const cases = [
    `email=${'a'.repeat(MAX_QUERY_LENGTH - 6)}`,
    `email=${'a'.repeat(MAX_QUERY_LENGTH - 5)}`,
    `email=${'%41'.repeat(4)}${'a'.repeat(8)}`,
    `email=${'%41'.repeat(13)}`,
    `email=${'%41'.repeat(12)}%`,
    'email=ab%4',
    'email=ab%40',
    'k=%41&email=%40%40%40&k=%41',
    'x=%zz&k=a+b',
    'email=a+b%40c&k=a+b',
    `email=${'+'.repeat(12)}`,
    `email=${'+'.repeat(13)}`,
    'email=+%2B+%20',
    'x=\u00e9&k=ab',
    'k=a%2Bb',
    'k=a=b&api_key=c=d',
    '=&=k&k',
    '&&&k=1&&&',
  ];
  for (const raw of cases) {
    const want = reference(specs, raw);
    const ok = q.read(raw);
    t.same({ ok, values: [...q.values], problem: q.problem, problemParam: q.problemParam }, want, raw.slice(0, 60));
  }
});
