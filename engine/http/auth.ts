// API-key authentication (README "API"): the key comes from the `api_key` query parameter, the
// `x-api-key` header or `Authorization: Bearer <key>`.
//
// Verification hashes the presented key with SHA-256 and compares it with every configured digest
// using crypto.timingSafeEqual, so the time taken does not depend on how much of a secret matched.
// Hashing costs ~0.7 µs, a tenth of a whole request at our rates, so a key that has passed that check
// once is remembered in `verified`, a Map keyed by the presented string. Only keys that passed go in,
// so it holds at most as many entries as there are configured keys. A lookup compares strings only
// when V8's hashes collide, and V8 seeds its string hash randomly per process, so an attacker cannot
// steer probes into comparisons with a valid key. Unknown keys always take the full constant-time path.

import { timingSafeEqual } from 'node:crypto';
import type { ApiKey, Scope } from '../../core/domain/api-keys.js';
import { sha256 } from '../../core/domain/api-keys.js';

export const enum AuthResult {
  Ok = 0,
  Missing,
  Unknown,
  WrongScope,
}

const BEARER = 'bearer ';

export class Authenticator {
  private readonly verified = new Map<string, Scope>();

  constructor(private readonly keys: readonly ApiKey[]) {}

  /**
   * The key from the headers: `x-api-key`, else `Authorization: Bearer <key>` (the scheme is
   * case-insensitive; uWS lower-cases header names, not values). '' when neither carries one.
   */
  static headerKey(xApiKey: string, authorization: string): string {
    if (xApiKey !== '') return xApiKey;
    if (authorization.length > BEARER.length && authorization.slice(0, BEARER.length).toLowerCase() === BEARER) {
      return authorization.slice(BEARER.length).trim();
    }
    return '';
  }

  /** Whether `presented` is a key whose scope allows `needed` (admin may do what game may). */
  check(presented: string, needed: Scope): AuthResult {
    if (presented === '') return AuthResult.Missing;
    let scope = this.verified.get(presented);
    if (scope === undefined) {
      const found = this.verify(presented);
      if (found === null) return AuthResult.Unknown;
      this.verified.set(presented, found);
      scope = found;
    }
    return scope === needed || scope === 'admin' ? AuthResult.Ok : AuthResult.WrongScope;
  }

  private verify(presented: string): Scope | null {
    const digest = sha256(presented);
    let match: Scope | null = null;
    // No early exit: every configured key is compared, whichever matches.
    for (const key of this.keys) if (timingSafeEqual(digest, key.digest) && match === null) match = key.scope;
    return match;
  }
}
