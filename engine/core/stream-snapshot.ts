// Kind "stream" of the snapshot contract (DESIGN.md: `{kind, version, createdAt, streamOffset,
// data}`): the games registry and every player's ban record, folded from the event stream up to and
// including streamOffset. An engine boots from it and tails the stream after streamOffset; the
// syncer writes it (syncer/jobs/compact-stream.ts) and may then trim the stream behind it.

import { createHash } from 'node:crypto';
import { SnapshotCorruptError } from './errors.js';
import { BlacklistIndex, InvalidStateError, type BlacklistState } from '../indexes/blacklist-index.js';
import { decodeEnvelope, encodeEnvelope, snapshotVersion, type SnapshotHeader } from './snapshot.js';

export interface StreamSnapshot extends SnapshotHeader {
  readonly kind: 'stream';
  readonly index: BlacklistIndex;
}

/** Encodes the index as it stands after folding the event `streamOffset`. */
export function encodeStreamSnapshot(index: BlacklistIndex, streamOffset: string, nowMs: number): { version: string; bytes: Buffer } {
  const state = index.toState();
  // The version names the time and what is covered: the same offset gives the same hash.
  const version = snapshotVersion(nowMs, createHash('sha256').update(streamOffset).digest('hex'));
  const bytes = encodeEnvelope({ kind: 'stream', version, createdAt: new Date(nowMs).toISOString(), streamOffset }, state);
  return { version, bytes };
}

export function decodeStreamSnapshot(bytes: Uint8Array): StreamSnapshot {
  const envelope = decodeEnvelope(bytes, 'stream');
  let index: BlacklistIndex;
  try {
    index = BlacklistIndex.fromState(envelope.data as BlacklistState);
  } catch (err) {
    // InvalidStateError names the bad entry; anything else is a shape fromState did not foresee.
    const why = err instanceof InvalidStateError ? err.message : `malformed (${(err as Error).message})`;
    throw new SnapshotCorruptError(`stream snapshot data refused: ${why}`);
  }
  return { kind: 'stream', version: envelope.version, createdAt: envelope.createdAt, streamOffset: envelope.streamOffset, index };
}
