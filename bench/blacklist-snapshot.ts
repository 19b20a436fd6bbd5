// npm run bench:blacklist-snapshot — what the stream snapshot costs and saves at 1M reported
// players (BENCH_PLAYERS to choose): the syncer's encode (time, bytes), an engine's boot from it
// (decode + index build), against replaying the same 1M report events (the boot without a snapshot).
// In process, no HTTP: these are the CPU costs of compaction and of booting.

import { decodeStreamSnapshot, encodeStreamSnapshot } from '../core/domain/stream/stream-snapshot.js';
import { foldEvent, gameCreated, playerReported } from '../core/domain/stream/events.js';
import { StreamState } from '../core/domain/stream/stream-state.js';
import { DEFAULT_VOTE_RECEIPTS } from '../core/domain/stream/vote-receipts.js';
import type { LoggedEvent } from '../core/domain/stream/event.js';
import { REASONS, benchEmail } from './blacklist-data.js';
import { machine } from './lib/machine.js';
import { table, writeResults } from './lib/results.js';

const players = Number(process.env.BENCH_PLAYERS ?? 1_000_000);
const MB = 1024 * 1024;
const now = Date.now();
const seconds = (since: number) => (performance.now() - since) / 1000;

// The stream: one game, then a report per player, one in ten players reported a second time.
const lines: string[] = [JSON.stringify({ id: '1-0', ...gameCreated({ name: 'Bench Game' }) })];
for (let i = 0; i < players * 1.1; i++) {
  const data = { game_id: 1, email: benchEmail(i % players), reason: REASONS[i % REASONS.length]!, reported_at: now - (i % 120) * 86_400_000 };
  lines.push(JSON.stringify({ id: `1-${i + 1}`, ...playerReported(data) }));
}
const events = lines.length;

let t = performance.now();
const replayed = StreamState.empty(DEFAULT_VOTE_RECEIPTS);
for (const line of lines) foldEvent(replayed, JSON.parse(line) as LoggedEvent);
const replayS = seconds(t);
lines.length = 0;

t = performance.now();
const { bytes } = encodeStreamSnapshot(replayed, `1-${events - 1}`, now);
const encodeS = seconds(t);

t = performance.now();
const loaded = decodeStreamSnapshot(bytes, DEFAULT_VOTE_RECEIPTS);
const decodeS = seconds(t);
const same = [0, 1, players - 1, Math.floor(players / 2)].every(
  (i) => JSON.stringify(loaded.state.blacklist.check(benchEmail(i), now)) === JSON.stringify(replayed.blacklist.check(benchEmail(i), now)),
);
if (!same) throw new Error('the loaded snapshot answers differently from the replay');

const host = machine();
const rows: (string | number)[][] = [
  ['replay the stream (JSON.parse + fold per event)', `${events.toLocaleString('en-US')} events`, replayS.toFixed(2)],
  ['syncer: encode the snapshot', `${(bytes.length / MB).toFixed(0)} MB`, encodeS.toFixed(2)],
  ['engine boot: decode + build the index', `${loaded.state.blacklist.playerCount.toLocaleString('en-US')} players`, decodeS.toFixed(2)],
];
const markdown = [
  `# Blacklist snapshot at ${players.toLocaleString('en-US')} players`,
  '',
  `${host.cpu}, ${host.cores} cores, Node ${host.node}, ${host.date}`,
  '',
  table(['step', 'size', 'seconds'], rows),
  '',
  `Boot from the snapshot is ${(replayS / decodeS).toFixed(1)}x faster than replaying the stream (in process, CPU only; ` +
    'the file log adds reading, Redis adds XREAD round trips).',
  '',
].join('\n');
process.stdout.write(markdown);
writeResults('blacklist-snapshot', { machine: host, players, events, replayS, encodeS, decodeS, bytes: bytes.length }, markdown);
