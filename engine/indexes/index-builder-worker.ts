// Worker thread of IndexBuilder: decodes snapshot bytes and compiles the index off the serving
// thread, then hands back its arrays (transferred, not copied). Never loads uWS.

import { parentPort } from 'node:worker_threads';
import { decodeAdsSnapshot } from '../../core/domain/ads/snapshot.js';
import { errorToWire } from '../../core/errors.js';
import { AdIndex } from './ad-index.js';
import type { BuildReply, BuildRequest } from './index-builder.js';

parentPort!.on('message', (m: BuildRequest) => {
  let reply: BuildReply;
  try {
    const snapshot = decodeAdsSnapshot(m.bytes);
    const parts = AdIndex.compileParts(snapshot.ads, snapshot.version);
    reply = { id: m.id, ok: true, parts, createdAt: snapshot.createdAt };
    const transfer = [parts.idUnits, parts.idOffsets, parts.slab, parts.offsets, parts.weights, parts.marketKeys, parts.hourRotations, parts.rotationStarts, parts.rotationTotals, parts.members]
      .filter((a) => a !== null)
      .map((a) => a!.buffer as ArrayBuffer);
    parentPort!.postMessage(reply, transfer);
  } catch (err) {
    reply = { id: m.id, ok: false, error: errorToWire(err) };
    parentPort!.postMessage(reply);
  }
});
