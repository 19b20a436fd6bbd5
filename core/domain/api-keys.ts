// API keys: configured as `scope:key` pairs, the key either `sha256:<64 hex>` (production: the
// secret never sits in config) or plain text (dev). Only SHA-256 digests are kept in memory.

import { createHash } from 'node:crypto';

export const scopes = ['game', 'admin'] as const;
export type Scope = (typeof scopes)[number];

export interface ApiKey {
  readonly scope: Scope;
  /** SHA-256 of the key's bytes. */
  readonly digest: Buffer;
}

const HEX64 = /^[0-9a-f]{64}$/i;

export function sha256(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Parses `scope:key,scope:key`; problems go to errs with the entry's position, never the key itself. */
export function parseApiKeys(raw: string, errs: string[]): ApiKey[] {
  const keys: ApiKey[] = [];
  const entries = raw.split(',');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!.trim();
    const colon = entry.indexOf(':');
    const scope = colon > 0 ? entry.slice(0, colon) : '';
    const secret = colon > 0 ? entry.slice(colon + 1) : '';
    if (!(scopes as readonly string[]).includes(scope)) {
      errs.push(`API_KEYS entry ${i + 1} must start with ${scopes.join(' or ')} and a colon`);
      continue;
    }
    if (secret.startsWith('sha256:')) {
      const hex = secret.slice('sha256:'.length);
      if (!HEX64.test(hex)) {
        errs.push(`API_KEYS entry ${i + 1} (${scope}) has a sha256: value that is not 64 hex digits`);
        continue;
      }
      keys.push({ scope: scope as Scope, digest: Buffer.from(hex, 'hex') });
    } else if (/^[\x21-\x7e]{8,256}$/.test(secret)) {
      keys.push({ scope: scope as Scope, digest: sha256(secret) });
    } else {
      errs.push(`API_KEYS entry ${i + 1} (${scope}) needs a key of 8 to 256 printable ASCII characters`);
    }
  }
  if (keys.length === 0 && errs.length === 0) errs.push('API_KEYS has no key');
  return keys;
}
