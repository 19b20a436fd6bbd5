// Production mode end to end, all real parts: redis-server, s3rver, a local feed server, and syncer
// and engine processes. The feed changes, stores fail, syncers die, an operator rolls back; engines
// keep answering throughout.

import { execFile } from 'node:child_process';
import t from 'tap';
import { packagePath } from '../../core/runtime/package-root.js';
import { STREAM_NOT_READY } from '../../engine/engine.js';
import { GAME_KEY } from '../helpers/test-engine.js';
import { eventually } from '../helpers/eventually.js';
import { feedOf } from '../helpers/feed-rows.js';
import { adId, startEngineProc, startStack, startSyncer } from '../helpers/production.js';

t.test('a feed change reaches two engines within 2 s, with no failed request across the swap', async (t) => {
  const stack = await startStack(t, feedOf('old-1', 'old-2'));
  const syncer = await startSyncer(t, stack);
  const engines = [await startEngineProc(t, stack), await startEngineProc(t, stack)];
  for (const e of engines) await eventually(() => adId(stack.http, e), (id) => id.startsWith('old-'), 10_000, 'first snapshot served');

  const seen: string[] = [];
  let stop = false;
  const loops = engines.map(async (e) => {
    while (!stop) seen.push(await adId(stack.http, e));
  });
  const publishedBefore = syncer.proc.stdout().split('"msg":"ads snapshot published"').length;
  stack.feed.respond = { body: feedOf('new-1', 'new-2') };
  const changedAt = Date.now();
  // The syncer pulls every second: the 2 s bound runs from its publish, not from the feed edit.
  await eventually(async () => syncer.proc.stdout().split('"msg":"ads snapshot published"').length, (n) => n > publishedBefore, 5_000, 'published');
  const publishedAt = Date.now();
  for (const e of engines) await eventually(() => adId(stack.http, e), (id) => id.startsWith('new-'), 2_000, 'both engines serve the new ads within 2 s of the publish');
  const servedAt = Date.now();
  stop = true;
  await Promise.all(loops);
  t.pass(`both engines on the new feed ${servedAt - publishedAt} ms after the publish, ${servedAt - changedAt} ms after the feed changed`);
  t.same(seen.filter((id) => !/^(old|new)-\d$/.test(id)), [], `${seen.length} requests across the swap, none failed`);
});

t.test('a broken feed (500, bad JSON, no valid row, too large, hanging) keeps the last good snapshot', async (t) => {
  const stack = await startStack(t, feedOf('good-1'));
  const syncer = await startSyncer(t, stack, { FEED_MAX_BYTES: '4096', FEED_TIMEOUT_MS: '300' });
  const engine = await startEngineProc(t, stack);
  await eventually(() => adId(stack.http, engine), (id) => id === 'good-1', 10_000, 'good feed served');
  const outcomes = async () => (await stack.http.get(`${syncer.internal}/metrics`)).text;
  for (const [what, respond, outcome] of [
    ['HTTP 500', { status: 500 }, 'fetch_failed'],
    ['invalid JSON', { body: '{"ads": [' }, 'feed_rejected'],
    ['no valid row', { body: JSON.stringify({ ads: [{ id: 'x', country: 'usa' }] }) }, 'feed_rejected'],
    ['too large', { body: feedOf(...Array.from({ length: 100 }, (_, i) => `big-${i}`)) }, 'fetch_failed'],
    ['hanging', { hang: true }, 'fetch_failed'],
  ] as const) {
    const count = async () => Number(new RegExp(`syncer_feed_syncs_total\\{outcome="${outcome}"\\} (\\d+)`).exec(await outcomes())?.[1] ?? 0);
    const start = await count();
    stack.feed.respond = respond;
    await eventually(count, (n) => n > start, 10_000, `${what} counted as ${outcome}`);
    t.equal(await adId(stack.http, engine), 'good-1', `${what}: the last good snapshot stays`);
  }
});

t.test('the active syncer killed: the standby takes the lock and publishes the next change', async (t) => {
  const stack = await startStack(t, feedOf('a-1'));
  const first = await startSyncer(t, stack);
  const second = await startSyncer(t, stack);
  const role = async (s: { internal: string }) => ((await stack.http.get(`${s.internal}/readyz`)).body as { role: string }).role;
  t.same([await role(first), await role(second)], ['leader', 'standby']);
  const engine = await startEngineProc(t, stack);
  await eventually(() => adId(stack.http, engine), (id) => id === 'a-1', 10_000, 'first feed served');

  first.proc.child.kill('SIGKILL');
  await eventually(() => role(second), (r) => r === 'leader', 5_000, 'standby takes over within the 1.5 s lock TTL');
  stack.feed.respond = { body: feedOf('b-1') };
  await eventually(() => adId(stack.http, engine), (id) => id === 'b-1', 5_000, 'the new leader publishes');
  t.pass('standby took over and published');
});

t.test('a syncer shut down cleanly hands over at once (lock released, not left to expire)', async (t) => {
  const stack = await startStack(t, feedOf('a-1'));
  const first = await startSyncer(t, stack, { LEADER_LOCK_TTL_MS: '9000' });
  const second = await startSyncer(t, stack, { LEADER_LOCK_TTL_MS: '9000' });
  first.proc.child.kill('SIGTERM');
  const stoppedAt = Date.now();
  t.same(await first.proc.exited, { code: 0, signal: null });
  // The standby tries every ttl/3 = 3 s: a released lock is taken on that next try, well before
  // the 9 s a dead leader's lock needs to expire.
  await eventually(async () => ((await stack.http.get(`${second.internal}/readyz`)).body as { role: string }).role, (r) => r === 'leader', 6_000, 'standby leads');
  t.ok(Date.now() - stoppedAt < 9_000, 'before the lock could have expired');
});

t.test('S3 down: an engine boots from Redis; Redis down: an engine boots from S3; both down: it keeps serving', async (t) => {
  const stack = await startStack(t, feedOf('r-1'));
  const syncer = await startSyncer(t, stack);
  const witness = await startEngineProc(t, stack);
  await eventually(() => adId(stack.http, witness), (id) => id === 'r-1', 10_000, 'published');
  syncer.proc.child.kill('SIGKILL');

  await stack.s3.stop();
  const fromRedis = await startEngineProc(t, stack);
  t.equal(await adId(stack.http, fromRedis), 'r-1', 'booted from Redis with S3 down');

  await stack.redis.stop();
  await stack.s3.start();
  const fromS3 = await startEngineProc(t, stack);
  t.equal(await adId(stack.http, fromS3), 'r-1', 'booted from S3 with Redis down');

  await stack.s3.stop();
  for (const e of [witness, fromRedis, fromS3]) {
    await new Promise((r) => setTimeout(r, 600)); // at least one poll against the dead stores
    t.equal(await adId(stack.http, e), 'r-1', 'both stores down: still serving');
    // Ready for ads whatever happened; ready as a whole exactly when the routes on the event log
    // answer (an engine that booted without its stream snapshot has never replayed the log).
    t.equal((await stack.http.get(`${e.internal}/readyz/ads`)).status, 200, 'ready for ads');
    const games = await stack.http.get(`${e.base}/games`, { 'x-api-key': GAME_KEY });
    t.equal((await stack.http.get(`${e.internal}/readyz`)).status, games.status === 503 ? 503 : 200, '/readyz is ready exactly when GET /games answers');
  }
  const metrics = (await stack.http.get(`${witness.internal}/metrics`)).text;
  t.match(metrics, /engine_snapshot_load_failures_total\{reason="store_unavailable"\} [1-9]/);
  t.match(metrics, /^engine_snapshot_age_seconds \d/m);
});

t.test('S3 down: the syncer reports the version that stays published, running and after a restart', async (t) => {
  const stack = await startStack(t, feedOf('k-1'));
  const first = await startSyncer(t, stack);
  const readyz = async (s: { internal: string }) => (await stack.http.get(`${s.internal}/readyz`)).body as { status: string; version: string | null };
  const published = await eventually(() => readyz(first), (r) => r.version !== null, 10_000, 'published');
  const kept = published.version;
  const failed = /^.*"msg":"campaign sync failed; last good snapshot stays published".*$/gm;
  const failures = (s: { proc: { stdout(): string } }) => s.proc.stdout().match(failed) ?? [];

  await stack.s3.stop();
  await eventually(async () => failures(first).length, (n) => n > 0, 15_000, 'a run against the dead S3');
  t.match(JSON.parse(failures(first)[0]!), { outcome: 'publish_failed', kept }, 'the failure names the kept version');
  t.match(await readyz(first), { status: 'ready', version: kept }, 'running syncer: /readyz keeps the version');

  // A fresh process knows nothing but the stores: Redis still points at the version engines serve.
  first.proc.child.kill('SIGKILL');
  await first.proc.exited;
  const second = await startSyncer(t, stack);
  await eventually(async () => failures(second).length, (n) => n > 0, 15_000, 'the restarted syncer runs against the dead S3');
  t.match(JSON.parse(failures(second)[0]!), { outcome: 'publish_failed', kept }, 'restarted: the failure names the kept version');
  t.match(await readyz(second), { status: 'ready', version: kept }, 'restarted syncer: /readyz names it too');
});

t.test('rollback: engines go back to an older version, and the running syncer keeps it', async (t) => {
  const stack = await startStack(t, feedOf('v1-ad'));
  const syncer = await startSyncer(t, stack);
  const engine = await startEngineProc(t, stack);
  await eventually(() => adId(stack.http, engine), (id) => id === 'v1-ad', 10_000, 'v1 served');
  const v1 = ((await stack.http.get(`${engine.internal}/readyz`)).body as { version: string }).version;
  stack.feed.respond = { body: feedOf('v2-ad') };
  await eventually(() => adId(stack.http, engine), (id) => id === 'v2-ad', 10_000, 'v2 served');

  const run = await syncerCommand(stack.env, 'rollback', v1);
  t.equal(run.status, 0, `rollback exits 0${run.status === 0 ? '' : `: ${run.stderr}`}`);
  t.match(run.stdout, /"msg":"rolled back"/);
  await eventually(() => adId(stack.http, engine), (id) => id === 'v1-ad', 3_000, 'engines follow the rollback');
  // Three more pulls of the unchanged v2 feed: the syncer must not undo the rollback.
  await new Promise((r) => setTimeout(r, 3_000));
  t.equal(await adId(stack.http, engine), 'v1-ad', 'the rollback holds while the feed is unchanged');
  stack.feed.respond = { body: feedOf('v3-ad') };
  await eventually(() => adId(stack.http, engine), (id) => id === 'v3-ad', 10_000, 'a real feed change publishes again');

  const unknown = await syncerCommand(stack.env, 'rollback', 'no-such-version');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /SNAPSHOT_NOT_FOUND: no snapshot ads\/no-such-version; the newest are: \d{8}T/);
  t.ok(syncer.proc.child.exitCode === null, 'the daemon ran throughout');
});

/**
 * `npm run syncer -- <args>`, from source, to completion. Asynchronously: s3rver runs in this
 * process, and a spawnSync would block the very server the command talks to.
 */
function syncerCommand(env: Record<string, string>, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', packagePath('syncer/main.ts'), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }),
    );
  });
}

t.test('ready means every route answers: booted with Redis down, an engine is ready for ads only until the log is replayed', async (t) => {
  const stack = await startStack(t, feedOf('r-1'));
  const syncer = await startSyncer(t, stack);
  const witness = await startEngineProc(t, stack);
  await eventually(() => adId(stack.http, witness), (id) => id === 'r-1', 10_000, 'published');
  syncer.proc.child.kill('SIGKILL');
  await stack.redis.stop();

  const engine = await startEngineProc(t, stack);
  const games = () => stack.http.get(`${engine.base}/games`, { 'x-api-key': GAME_KEY });
  t.equal(await adId(stack.http, engine), 'r-1', 'serves ads from S3');
  t.same((await stack.http.get(`${engine.internal}/readyz`)).body, { error: 'not_ready', message: STREAM_NOT_READY }, '/readyz: not ready, and why');
  t.match((await stack.http.get(`${engine.internal}/readyz/ads`)).body, { status: 'ready', version: String }, '/readyz/ads: ready');
  t.match(await games(), { status: 503, body: { error: 'not_ready' } }, 'the routes on the event log refuse');

  // Redis comes back: the first /readyz that says ready must find every route answering.
  await stack.redis.start();
  await eventually(async () => (await stack.http.get(`${engine.internal}/readyz`)).status, (s) => s === 200, 30_000, 'ready after Redis came back', 5);
  t.match(await games(), { status: 200 }, 'at the first ready answer, GET /games answers 200');
});
