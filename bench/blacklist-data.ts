// Data for the /blacklist/check bench: an event log file holding one game and N reports of N
// distinct emails (written directly, in the FileEventLog format, far faster than N appends), and
// the request mix: 3 in 4 checks of reported emails (mixed case, key in the query or a header),
// 1 in 4 of never-reported ones (404 not_reported by design); and POST /blacklist bodies.

import { mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_KEY, type BenchRequest } from './scenarios.js';

export const REASONS = ['cheating', 'harassment', 'offensive_language', 'terms_of_service_violation'];
export const benchEmail = (i: number): string => `player${i}@example.com`;

/** Writes <dataDir>/events/events.jsonl: game 1, then `emails` reports with ids 1-1 … 1-N. */
export function writeReportsLog(dataDir: string, emails: number, nowMs: number): void {
  const dir = join(dataDir, 'events');
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, 'events.jsonl'), 'w');
  try {
    writeSync(fd, JSON.stringify({ id: '1-0', type: 'game_created', data: { name: 'Bench Game' } }) + '\n');
    const lines: string[] = [];
    for (let i = 0; i < emails; i++) {
      const data = { game_id: 1, email: benchEmail(i), reason: REASONS[i % REASONS.length], reported_at: nowMs - (i % 120) * 86_400_000 };
      lines.push(JSON.stringify({ id: `1-${i + 1}`, type: 'player_reported', data }));
      if (lines.length === 10_000) {
        writeSync(fd, lines.join('\n') + '\n');
        lines.length = 0;
      }
    }
    if (lines.length > 0) writeSync(fd, lines.join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
}

export function blacklistCheckMix(emails: number): { requests: BenchRequest[]; expected404: number } {
  const requests: BenchRequest[] = [];
  for (let i = 0; i < 48; i++) {
    const email = benchEmail(Math.floor((i * 7919) % emails));
    const shown = i % 3 === 0 ? email.toUpperCase() : email;
    requests.push(
      i % 2 === 0
        ? { path: `/blacklist/check?email=${encodeURIComponent(shown)}&api_key=${BENCH_KEY}` }
        : { path: `/blacklist/check?email=${encodeURIComponent(shown)}`, headers: { 'x-api-key': BENCH_KEY } },
    );
    if (i % 3 === 2) requests.push({ path: `/blacklist/check?email=never${i}@example.org&api_key=${BENCH_KEY}` });
  }
  return { requests, expected404: 16 / requests.length };
}

/** POST /blacklist bodies, each a new report of a rotating set of emails. */
export function reportRequests(n: number): BenchRequest[] {
  return Array.from({ length: n }, (_, i) => ({
    path: '/blacklist',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_KEY },
    body: JSON.stringify({ game_id: 1, email: `posted${i}@example.com`, reason: REASONS[i % REASONS.length] }),
  }));
}
