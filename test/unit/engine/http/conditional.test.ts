// Cacheable bodies and If-None-Match (engine/http/conditional.ts): the ETag is a hash of the bytes,
// and a header matches on `*` or on any tag of its list compared weakly; a malformed list never does.

import { hash } from 'node:crypto';
import t from 'tap';
import { cacheable, noneMatch } from '../../../../engine/http/conditional.js';

t.test('the ETag: a quoted 22-character base64url SHA-256 of the bytes, the same for a string and its bytes', async (t) => {
  const c = cacheable('[{"id":1,"name":"Space Raiders"}]');
  t.equal(c.tag, `"${hash('sha256', '[{"id":1,"name":"Space Raiders"}]', 'base64url').slice(0, 22)}"`);
  t.match(c.tag, /^"[A-Za-z0-9_-]{22}"$/);
  t.same(c.etag, Buffer.from(c.tag));
  t.same(c.body, Buffer.from('[{"id":1,"name":"Space Raiders"}]'));
  t.equal(cacheable(Buffer.from('[{"id":1,"name":"Space Raiders"}]')).tag, c.tag);
  t.not(cacheable('[]').tag, c.tag);
});

t.test('If-None-Match: *, the tag, or a list holding it (weakly); anything else is no match', async (t) => {
  const tag = '"abc"';
  const cases: [string, boolean][] = [
    ['"abc"', true],
    ['*', true],
    ['  *  ', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['"x","abc"', true],
    ['"x" , W/"abc" ,"y"', true],
    [', ,"abc"', true],
    ['\t"abc"\t', true],
    ['', false],
    ['"abcd"', false],
    ['"ab"', false],
    ['abc', false],
    ['"x", "y"', false],
    ['w/"abc"', false],
    ['"x" "abc"', false],
    ['"abc', false],
    ['"x", abc', false],
    ['W/ "abc"', false],
  ];
  for (const [header, match] of cases) t.equal(noneMatch(header, tag), match, JSON.stringify(header));
});
