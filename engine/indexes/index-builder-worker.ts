// Worker thread of IndexBuilder: decodes snapshot bytes and compiles the index off the serving
// thread, then hands back its arrays (transferred, not copied). Never loads uWS.

import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { decodeAdsSnapshot } from '../../core/domain/ads/snapshot.js';
import { errorToWire } from '../../core/errors.js';
import { AdIndex } from './ad-index.js';
import type { BuildReply, BuildRequest } from './index-builder.js';

// The serving thread shares its core with this one while a build runs (every server process
// builds while it serves; bench/swap.ts pins the whole engine to one CPU). At equal priority the
// scheduler splits the core between them, and a request arriving mid-build waits out this thread's
// time slice: that wait, not work of its own, was most of the serving thread's stall time during
// swaps (bench/swap.ts; /proc schedstat of the serving thread). At the lowest priority (nice 19,
// per thread on Linux) a waking serving thread preempts a build at once; builds take the CPU the
// servers leave idle, so on a saturated machine they take longer. A refusal keeps the default.
try {
  setPriority(19);
} catch {
  // Not allowed here (a sandbox): builds compete with serving as before.
}

parentPort!.on('message', (m: BuildRequest) => {
  let reply: BuildReply;
  try {
    const snapshot = decodeAdsSnapshot(m.bytes);
    const parts = AdIndex.compileParts(snapshot.ads, snapshot.version);
    reply = { id: m.id, ok: true, parts, createdAt: snapshot.createdAt };
    const transfer = [parts.idBytes, parts.idOffsets, parts.slab, parts.offsets, parts.vastPieces, parts.vastRecords, parts.vastRecordOf, parts.weights, parts.marketKeys, parts.hourRotations, parts.rotationStarts, parts.rotationTotals, parts.members]
      .filter((a) => a !== null)
      .map((a) => a!.buffer as ArrayBuffer);
    parentPort!.postMessage(reply, transfer);
  } catch (err) {
    reply = { id: m.id, ok: false, error: errorToWire(err) };
    parentPort!.postMessage(reply);
  }
});
