// Kind "stream" of the snapshot envelope (core/domain/ads/snapshot.ts: `{kind, version, createdAt,
// streamOffset, data}`): the whole fold of the event stream up to and including streamOffset: the games registry
// and every player's ban record, the topics with their tallies, and the vote receipts. An engine boots from it and tails the stream after streamOffset; the
// syncer writes it (syncer/jobs/compact-stream.ts) and may then trim the stream behind it.

import { createHash } from 'node:crypto';
import { InvalidStateError, SnapshotCorruptError } from '../../errors.js';
import { StreamState, type StreamStateData } from './stream-state.js';
import { decodeEnvelope, encodeEnvelope, snapshotVersion, type SnapshotHeader } from '../ads/snapshot.js';

export interface StreamSnapshot extends SnapshotHeader {
  readonly kind: 'stream';
  readonly state: StreamState;
}

/** Encodes the state as it stands after folding the event `streamOffset`. */
export function encodeStreamSnapshot(state: StreamState, streamOffset: string, nowMs: number): { version: string; bytes: Buffer } {
  const data = state.toState(nowMs);
  // The version names the time and what is covered: the same offset gives the same hash.
  const version = snapshotVersion(nowMs, createHash('sha256').update(streamOffset).digest('hex'));
  const bytes = encodeEnvelope({ kind: 'stream', version, createdAt: new Date(nowMs).toISOString(), streamOffset }, data);
  return { version, bytes };
}

/** Decodes and validates a stream snapshot; the state keeps at most `voteReceipts` receipts. */
export function decodeStreamSnapshot(bytes: Uint8Array, voteReceipts: number): StreamSnapshot {
  const envelope = decodeEnvelope(bytes, 'stream');
  let state: StreamState;
  try {
    state = StreamState.fromState(envelope.data as StreamStateData, voteReceipts);
  } catch (err) {
    // InvalidStateError names the bad entry; anything else is a shape fromState did not foresee.
    const why = err instanceof InvalidStateError ? err.message : `malformed (${(err as Error).message})`;
    throw new SnapshotCorruptError(`stream snapshot data refused: ${why}`);
  }
  return { kind: 'stream', version: envelope.version, createdAt: envelope.createdAt, streamOffset: envelope.streamOffset, state };
}
