// The hot-path query scanner: values by name, and every way a parameter can be malformed.

import t from 'tap';
import { MAX_QUERY_LENGTH, QueryProblem, QueryReader } from '../../engine/http/query.js';

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
