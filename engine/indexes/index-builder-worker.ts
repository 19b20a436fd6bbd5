// Worker thread of IndexBuilder: decodes snapshot bytes and compiles the index off the serving
// thread, then hands back its arrays (transferred, not copied). When the feed changes with time
// (flights, zones that change their offset), it keeps a copy of what plans are compiled from, so
// the next stretch's plans cost a plan compile, not a decode. Never loads uWS.

import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { decodeAdsSnapshot } from '../../core/domain/ads/snapshot.js';
import { errorToWire } from '../../core/errors.js';
import { AdIndex, planInput } from './ad-index.js';
import type { BuildReply, BuildRequest } from './index-builder.js';
import { compilePlan, planBuffers, type PlanInput } from './plan.js';
import { ruleBuffers } from './rules.js';

/** The plan input of the last index built, when its plans end (kept by version). */
let kept: { version: string; input: PlanInput } | null = null;

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
    if (m.type === 'plan') {
      if (kept === null || kept.version !== m.version) throw new Error(`no index ${m.version} to plan for`);
      const plan = compilePlan(kept.input, m.asOf);
      reply = { id: m.id, ok: true, plan };
      parentPort!.postMessage(reply, planBuffers(plan));
      return;
    }
    const snapshot = decodeAdsSnapshot(m.bytes);
    const parts = AdIndex.compileParts(snapshot.ads, snapshot.version, m.asOf);
    const timeless = parts.plan.validFrom === -Infinity && parts.plan.validUntil === Infinity;
    kept = timeless ? null : { version: parts.version, input: structuredClone(planInput(parts)) };
    reply = { id: m.id, ok: true, parts, createdAt: snapshot.createdAt };
    const transfer = [parts.idBytes, parts.idOffsets, parts.slab, parts.offsets, parts.vastPieces, parts.vastRecords, parts.vastRecordOf, parts.weights, parts.marketKeys, parts.marketStarts, parts.marketOrdinals, parts.windows]
      .filter((a) => a !== null)
      .map((a) => a!.buffer as ArrayBuffer);
    parentPort!.postMessage(reply, [...transfer, ...ruleBuffers(parts.rules), ...planBuffers(parts.plan)]);
  } catch (err) {
    reply = { id: m.id, ok: false, error: errorToWire(err) };
    parentPort!.postMessage(reply);
  }
});
