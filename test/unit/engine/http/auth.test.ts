// API keys: plain or sha256-configured, from the query, x-api-key or Bearer; scopes; and the
// cache of verified keys only ever holds keys that passed.

import { createHash } from 'node:crypto';
import t from 'tap';
import { parseApiKeys } from '../../../../core/domain/api-keys.js';
import { AuthResult, Authenticator } from '../../../../engine/http/auth.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

t.test('plain and hashed keys, scopes, admin may do what game may', async (t) => {
  const errs: string[] = [];
  const keys = parseApiKeys(`game:plain-game-key, admin:sha256:${hex('hashed-admin-key')}`, errs);
  t.same(errs, []);
  const auth = new Authenticator(keys);
  t.equal(auth.check('plain-game-key', 'game'), AuthResult.Ok);
  t.equal(auth.check('plain-game-key', 'admin'), AuthResult.WrongScope);
  t.equal(auth.check('hashed-admin-key', 'admin'), AuthResult.Ok);
  t.equal(auth.check('hashed-admin-key', 'game'), AuthResult.Ok);
  t.equal(auth.check('', 'game'), AuthResult.Missing);
  t.equal(auth.check('plain-game-kex', 'game'), AuthResult.Unknown);
  t.equal(auth.check(`sha256:${hex('hashed-admin-key')}`, 'game'), AuthResult.Unknown, 'the digest itself is not a key');
  // Repeated checks answer the same (the verified-key cache).
  for (let i = 0; i < 3; i++) t.equal(auth.check('plain-game-key', 'game'), AuthResult.Ok);
});

t.test('header keys: x-api-key first, then Bearer (scheme case-insensitive)', async (t) => {
  t.equal(Authenticator.headerKey('k1', 'Bearer k2'), 'k1');
  t.equal(Authenticator.headerKey('', 'Bearer k2'), 'k2');
  t.equal(Authenticator.headerKey('', 'bearer   k3  '), 'k3');
  t.equal(Authenticator.headerKey('', 'Basic abc'), '');
  t.equal(Authenticator.headerKey('', 'Bearer '), '');
  t.equal(Authenticator.headerKey('', ''), '');
});

t.test('bad API_KEYS entries are reported by position, never echoing the key', async (t) => {
  const errs: string[] = [];
  parseApiKeys('root:super-secret-1,game:short,admin:sha256:abc,game', errs);
  t.same(errs, [
    'API_KEYS entry 1 must start with game or admin and a colon',
    'API_KEYS entry 2 (game) needs a key of 8 to 256 printable ASCII characters',
    'API_KEYS entry 3 (admin) has a sha256: value that is not 64 hex digits',
    'API_KEYS entry 4 must start with game or admin and a colon',
  ]);
  t.notMatch(errs.join('\n'), /super-secret|short/);
});
