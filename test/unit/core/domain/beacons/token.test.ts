// Beacon tokens: what a signed token says comes back verified; anything altered, cut, signed with
// another key or past its expiry is refused with its reason; rotation signs with the first key and
// verifies with all; the MAC is HMAC-SHA512 as node:crypto computes it.

import { createHmac } from 'node:crypto';
import t from 'tap';
import { BeaconSigner, BeaconVerifier, MAX_TOKEN_CHARS } from '../../../../../core/domain/beacons/token.js';
import { beaconKinds } from '../../../../../core/domain/beacons/kinds.js';
import { countryCode, langCode } from '../../../../../engine/decision/market.js';

const K1 = Buffer.from('first-beacon-key-0123456789abcdef0123');
const K2 = Buffer.from('second-beacon-key-0123456789abcdef012');
const NOW = Date.UTC(2026, 10, 24, 12, 30, 15, 500);

t.test('a token says what was signed, for each kind', async (t) => {
  const signer = new BeaconSigner([K1], 3600);
  const verifier = new BeaconVerifier([K1]);
  signer.sign('us-eng-allday-1', countryCode('us'), langCode('eng'), NOW);
  t.match(signer.decisionId, /^[A-Za-z0-9_-]{16}$/);
  t.equal(new Set(signer.tokens).size, beaconKinds.length, 'one token per kind, all different');
  for (let k = 0; k < beaconKinds.length; k++) {
    t.same(verifier.verify(signer.tokens[k]!, NOW), {
      decisionId: signer.decisionId,
      adId: 'us-eng-allday-1',
      kind: k,
      country: countryCode('us'),
      lang: langCode('eng'),
      issuedSec: Math.floor(NOW / 1000),
      expiresSec: Math.floor(NOW / 1000) + 3600,
    });
  }
  const first = signer.decisionId;
  signer.sign('us-eng-allday-1', countryCode('us'), langCode('eng'), NOW);
  t.not(signer.decisionId, first, 'every decision has its own id');
});

t.test('the tag is HMAC-SHA512 of the claim, the kind picking its 8 bytes', async (t) => {
  const signer = new BeaconSigner([K1], 60);
  signer.sign('ad-ü-🎮', 1, 2, NOW);
  const token = signer.tokens[6]!;
  const [claim, tail] = token.split('.') as [string, string];
  const mac = createHmac('sha512', K1).update(Buffer.from(claim, 'base64url')).digest();
  t.equal(tail, '6' + mac.subarray(48, 56).toString('base64url'));
  t.equal((new BeaconVerifier([K1]).verify(token, NOW) as { adId: string }).adId, 'ad-ü-🎮', 'non-ASCII ids survive');
  const long = new BeaconSigner([Buffer.alloc(200, 1)], 60);
  long.sign('x', 0, 0, NOW);
  const [c2, t2] = long.tokens[0]!.split('.') as [string, string];
  t.equal(t2.slice(1), createHmac('sha512', Buffer.alloc(200, 1)).update(Buffer.from(c2, 'base64url')).digest().subarray(0, 8).toString('base64url'), 'a key longer than a block is hashed first, as HMAC says');
});

t.test('altered, cut, foreign, swapped or expired tokens are refused with their reason', async (t) => {
  const signer = new BeaconSigner([K1], 60);
  const verifier = new BeaconVerifier([K1]);
  signer.sign('ad-1', 3, 4, NOW);
  const token = signer.tokens[0]!;
  const [claim, tail] = token.split('.') as [string, string];
  t.equal(verifier.verify(token.slice(0, -1), NOW), 'malformed', 'truncated');
  t.type(verifier.verify(token.slice(1), NOW), 'string', 'first character cut');
  t.equal(verifier.verify('', NOW), 'malformed');
  t.equal(verifier.verify('.', NOW), 'malformed');
  t.equal(verifier.verify(`${claim}.9${tail.slice(1)}`, NOW), 'malformed', 'no such kind');
  t.equal(verifier.verify(`${claim}.6${tail.slice(1)}`, NOW), 'bad_signature', 'an impression tag does not sign a click');
  t.equal(verifier.verify(`${claim}!.${tail}`, NOW), 'malformed', 'not base64url');
  t.equal(verifier.verify('x'.repeat(MAX_TOKEN_CHARS) + '.' + tail, NOW), 'malformed', 'too long');
  const flipped = Buffer.from(claim, 'base64url');
  flipped[flipped.length - 1]! ^= 1;
  t.equal(verifier.verify(`${flipped.toString('base64url')}.${tail}`, NOW), 'bad_signature', 'ad id altered');
  t.equal(new BeaconVerifier([K2]).verify(token, NOW), 'bad_signature', 'another key');
  t.equal(verifier.verify(token, Math.floor(NOW / 1000) * 1000 + 60_000), 'expired', 'at expiry');
  t.not(verifier.verify(token, Math.floor(NOW / 1000) * 1000 + 59_999), 'expired', 'a millisecond before');
});

t.test('rotation: the first key signs, every key verifies', async (t) => {
  const old = new BeaconSigner([K1], 60);
  old.sign('ad', 0, 0, NOW);
  const rotated = new BeaconSigner([K2, K1], 60);
  rotated.sign('ad', 0, 0, NOW);
  const both = new BeaconVerifier([K2, K1]);
  t.equal(typeof both.verify(old.tokens[1]!, NOW), 'object', 'tokens of the old key still count');
  t.equal(typeof both.verify(rotated.tokens[1]!, NOW), 'object');
  t.equal(new BeaconVerifier([K1]).verify(rotated.tokens[1]!, NOW), 'bad_signature', 'the new key signs');
});
