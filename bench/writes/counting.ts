// Acknowledged = counted: the bench's bookkeeping of writes on one stack and the checks on it. Every
// vote the engine acknowledged (its own 202 counter) or the bench XADDed (prefill) must end up in the
// engine's tallies (its fold of votes_counted) and, on Redis, in its tallies hash and processed set;
// every report acknowledged (201) must be in the log exactly once. Owns the prefill, the drain after
// each run and the stack's final cross-check; never judges speed.

import { cpuSeconds } from '../lib/proc-cpu.js';
import { sleep } from './knobs.js';
import type { Route } from '../../engine/metrics/request-metrics.js';
import { routeAnswers, STREAM, talliesOf, type Stack, type Topic } from './stack.js';

/** Votes so far on a stack: acknowledged (engine 202s + prefilled), and the tallies last seen. */
export interface Round {
  ackedBefore: number;
  talliesBefore: number;
  prefilled: number;
}

export const newRound = (): Round => ({ ackedBefore: 0, talliesBefore: 0, prefilled: 0 });

export interface Drain {
  /** Votes acknowledged but not yet counted (in this engine's fold) when the load stopped. */
  backlogAtEnd: number;
  /** Counted during the load, per second. */
  countedPerSDuringLoad: number;
  /** From the end of the load until the tallies equal the votes acknowledged, s. */
  seconds: number;
  /** backlog / seconds (NaN with no backlog). */
  countedPerS: number;
  syncerCpuUsPerVote: number;
  ok: boolean;
  detail: string;
}

/** Waits until the writes are all in flight no more: the engine's counter of the route stops moving. */
export async function settledAnswers(s: Stack, route: Route): Promise<Record<string, number>> {
  let last = await routeAnswers(s, route);
  for (;;) {
    await sleep(200);
    const now = await routeAnswers(s, route);
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
}

/**
 * XADDs `n` vote_cast events as an engine writes them (pipelines of 1,000), then waits until the
 * syncer has counted them and the engine folded the counts: afterwards the engine holds more votes
 * than it keeps receipts for. Returns the seconds it took; throws when the tallies never match.
 */
export async function prefill(s: Stack, topic: Topic, n: number, round: Round, timeoutS: number): Promise<number> {
  if (s.client === null) throw new Error('prefill needs Redis');
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1_000) {
    const p = s.client.pipeline();
    for (let k = i; k < Math.min(n, i + 1_000); k++) {
      p.xadd(STREAM, '*', 'type', 'vote_cast', 'data', JSON.stringify({ topic_id: topic.id, choice_id: topic.choices[k % topic.choices.length], queued_at: Date.now() }));
    }
    await p.exec();
  }
  round.ackedBefore += n;
  round.prefilled += n;
  const deadline = performance.now() + timeoutS * 1000;
  let tallies = await talliesOf(s, topic.id);
  while (tallies < round.ackedBefore && performance.now() < deadline) {
    await sleep(100);
    tallies = await talliesOf(s, topic.id);
  }
  if (tallies !== round.ackedBefore) throw new Error(`prefill: tallies ${tallies} ≠ ${round.ackedBefore} after ${timeoutS} s`);
  round.talliesBefore = tallies;
  return (performance.now() - t0) / 1000;
}

/**
 * After a run that `acked` votes: polls the engine's tallies every 20 ms until they equal every vote
 * acknowledged so far (at most `timeoutS` from the load's end), then looks again 300 ms later to
 * catch an overshoot. Moves `round` on to the new totals.
 */
export async function drain(
  s: Stack,
  topicId: number,
  round: Round,
  load: { acked: number; endMs: number; seconds: number; syncerCpu0: number },
  timeoutS: number,
): Promise<Drain> {
  const expected = round.ackedBefore + load.acked;
  const talliesAtEnd = await talliesOf(s, topicId);
  let tallies = talliesAtEnd;
  const deadline = load.endMs + timeoutS * 1000;
  while (tallies < expected && performance.now() < deadline) {
    await sleep(20);
    tallies = await talliesOf(s, topicId);
  }
  const drained = performance.now();
  // Equal, or settled above (a vote counted twice) or below (lost): wait a moment to see overshoot.
  await sleep(300);
  tallies = await talliesOf(s, topicId);
  const syncerCpu = s.syncer === null ? NaN : cpuSeconds(s.syncer.pid) - load.syncerCpu0;
  const backlog = expected - talliesAtEnd;
  const drainS = Math.max(0, (drained - load.endMs) / 1000);
  const ok = tallies === expected;
  const talliesBefore = round.talliesBefore;
  round.ackedBefore = expected;
  round.talliesBefore = tallies;
  return {
    backlogAtEnd: backlog,
    countedPerSDuringLoad: (talliesAtEnd - talliesBefore) / load.seconds,
    seconds: drainS,
    countedPerS: backlog > 0 && drainS > 0 ? backlog / drainS : NaN,
    syncerCpuUsPerVote: load.acked === 0 ? NaN : (syncerCpu * 1e6) / load.acked,
    ok,
    detail: ok ? `tallies ${tallies} = acknowledged ${expected}` : `FAIL: tallies ${tallies} ≠ acknowledged ${expected}`,
  };
}

/** The final cross-check of a stack: engine fold, Redis tallies hash and processed set agree. */
export async function crossCheck(s: Stack, topicId: number, round: Round): Promise<{ ok: boolean; detail: string }> {
  const acked = round.ackedBefore;
  const fold = await talliesOf(s, topicId);
  if (s.client === null) {
    const detail = `votes ${acked} (engine 202s), engine tallies ${fold}`;
    return fold === acked ? { ok: true, detail: `OK: ${detail}` } : { ok: false, detail: `FAIL: ${detail}` };
  }
  const hash = Object.values(await s.client.hgetall(`${STREAM}:votes:tallies`)).reduce((n, v) => n + Number(v), 0);
  const processed = await s.client.zcard(`${STREAM}:votes:processed`);
  const ok = fold === acked && hash === acked && processed === acked;
  const detail =
    `votes ${acked} (engine 202s ${acked - round.prefilled} + ${round.prefilled} prefilled), engine tallies ${fold}, ` +
    `Redis tallies ${hash}, Redis processed set ${processed}`;
  return { ok, detail: ok ? `OK: ${detail}` : `FAIL: ${detail}` };
}
