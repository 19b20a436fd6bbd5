// SIGTERM on a standalone engine process: it stops accepting, answers what arrives on open
// connections with Connection: close, and exits 0 within its bound — with one server and with a
// pool of server processes.

import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Agent, request } from 'undici';
import { validateFeed } from '../../core/domain/ads/feed.js';
import { FsSnapshotStore } from '../../core/store/fs-snapshot-store.js';
import { compileAdsSnapshot } from '../../syncer/compile/ads-snapshot.js';
import { publishSnapshot } from '../../syncer/publish/publish-snapshot.js';
import { FileEventLog } from '../../core/store/file-event-log.js';
import { START } from '../../core/domain/stream/event.js';
import { startProcess, type RunningProcess } from '../helpers/spawn.js';
import { eventually } from '../helpers/eventually.js';
import { row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY } from '../helpers/test-engine.js';
import { scratchDir } from '../helpers/scratch-dir.js';

/** A standalone engine process on a folder store holding one all-day us/eng ad; resolves with its port. */
async function startEngine(t: Test, workers: string, shutdownMs: string): Promise<{ proc: RunningProcess; dir: string; port: string }> {
  const dir = scratchDir(t);
  const { ads } = validateFeed({ ads: [row('a', 'us', 'eng')] });
  const compiled = compileAdsSnapshot(ads, Date.now());
  await publishSnapshot(new FsSnapshotStore(dir), null, 'ads', compiled.snapshot.version, compiled.bytes);
  const proc = startProcess(t, 'engine/main.ts', {
    DATA_DIR: dir,
    HOST: '127.0.0.1',
    PORT: '0',
    INTERNAL_PORT: '0',
    ENGINE_WORKERS: workers,
    API_KEYS: `game:${GAME_KEY},admin:${ADMIN_KEY}`,
    SHUTDOWN_TIMEOUT_MS: shutdownMs,
  });
  const [, port] = await proc.waitFor(/"msg":"engine listening".*?"port":(\d+)/);
  return { proc, dir, port: port! };
}

for (const workers of ['1', '2']) {
  t.test(`ENGINE_WORKERS=${workers}: SIGTERM drains and exits 0`, async (t) => {
    const { proc, port } = await startEngine(t, workers, '3000');
    const url = `http://127.0.0.1:${port}/ad_request?country=us&lang=eng&api_key=${GAME_KEY}`;
    const agent = new Agent({ connections: 4 });
    t.teardown(() => agent.destroy());

    // Keep requests flowing on keep-alive connections across the signal.
    const statuses: number[] = [];
    const closeHeaders: string[] = [];
    let stop = false;
    let signalled = false;
    const loop = async () => {
      while (!stop) {
        try {
          const r = await request(url, { dispatcher: agent });
          await r.body.dump();
          statuses.push(r.statusCode);
          if (signalled && r.headers.connection === 'close') closeHeaders.push('close');
        } catch {
          // After the drain the port refuses new connections: expected, and the loop ends.
          if (signalled) return;
          throw new Error('request failed before SIGTERM');
        }
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    await eventually(() => statuses.length, (n) => n >= 200, 30_000, '200 answers before SIGTERM', 10);
    signalled = true;
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    stop = true;
    await Promise.all(loops);

    t.same(exit, { code: 0, signal: null }, 'exit code 0');
    t.ok(statuses.length >= 200);
    t.same([...new Set(statuses)], [200], 'every answered request was a 200');
    t.ok(closeHeaders.length > 0, 'answers after SIGTERM carry Connection: close');
    t.match(proc.stdout(), /"msg":"drained; exiting"/);
  });
}

// A write already durable in the log must get its answer even when SIGTERM comes while it waits:
// a client that saw its connection close instead would retry, and the vote would count twice.
// Votes flow on keep-alive connections across the signal; afterwards every vote the log holds
// must have been answered 202, and every 202 must be in the log.
for (const workers of ['1', '2']) {
  t.test(`ENGINE_WORKERS=${workers}: SIGTERM answers every write it made durable`, async (t) => {
    const { proc, dir, port } = await startEngine(t, workers, '8000');
    const base = `http://127.0.0.1:${port}`;
    const agent = new Agent({ connections: 8 });
    t.teardown(() => agent.destroy());
    const json = { 'content-type': 'application/json' };
    const created = await request(`${base}/topics`, {
      method: 'POST',
      dispatcher: agent,
      headers: { ...json, 'x-api-key': ADMIN_KEY },
      body: JSON.stringify({ title: 'Best map?', choices: [{ description: 'Dust' }] }),
    });
    t.equal(created.statusCode, 201);
    const topic = (await created.body.json()) as { id: number; choices: { id: number }[] };
    const vote = JSON.stringify({ topic_id: topic.id, choice_id: topic.choices[0]!.id });

    const answered: string[] = [];
    const otherStatuses: number[] = [];
    let signalled = false;
    const loop = async () => {
      for (;;) {
        try {
          const r = await request(`${base}/votes`, { method: 'POST', dispatcher: agent, headers: { ...json, 'x-api-key': GAME_KEY }, body: vote });
          const body = (await r.body.json()) as { id?: string };
          if (r.statusCode === 202) answered.push(body.id!);
          else otherStatuses.push(r.statusCode);
        } catch {
          // No answer: the connection closed or was refused. Allowed only for votes that were
          // never recorded, which the comparison with the log below checks.
          if (signalled) return;
          throw new Error('vote failed before SIGTERM');
        }
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    await eventually(() => answered.length, (n) => n >= 300, 30_000, '300 answers before SIGTERM', 5);
    signalled = true;
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    await Promise.all(loops);
    t.same(exit, { code: 0, signal: null }, 'exit code 0');

    const log = await FileEventLog.open(join(dir, 'events'));
    const recorded: string[] = [];
    for (let after = START; ; ) {
      const batch = await log.read(after, { count: 10_000 });
      if (batch.length === 0) break;
      for (const e of batch) if (e.type === 'vote_cast') recorded.push(e.id);
      after = batch[batch.length - 1]!.id;
    }
    await log.close();
    t.same(otherStatuses, [], 'no vote was refused while draining');
    t.equal(recorded.length, answered.length, `votes in the log (${recorded.length}) = votes answered 202 (${answered.length})`);
    t.same([...recorded].sort(), [...answered].sort(), 'the same votes');
  });
}
