// Secure by default, on real processes: no engine starts with the public dev keys, the dev keys
// keep both listeners on loopback, and a second engine on a port another one serves fails to start
// instead of silently sharing the port (SO_REUSEPORT) and splitting its traffic.

import { readFile } from 'node:fs/promises';
import t from 'tap';
import { freePort } from '../../bench/lib/free-port.js';
import { uWS } from '../../core/runtime/uws.js';
import { eventually } from '../helpers/eventually.js';
import { httpClient } from '../helpers/http.js';
import { EMBEDDED_SERVING, startProcess } from '../helpers/spawn.js';
import { GAME_KEY } from '../helpers/test-engine.js';
import { scratchDir } from '../helpers/scratch-dir.js';

/** Local addresses of the TCP sockets listening on `port`, from the kernel's own table. */
async function listeningAddresses(port: number): Promise<string[]> {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue; // 0A = LISTEN
      const [addr, hexPort] = f[1]!.split(':');
      if (parseInt(hexPort!, 16) !== port) continue;
      out.push(addr!.length === 8 ? addr!.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.') : `v6:${addr}`);
    }
  }
  return out;
}

t.test('a standalone engine without API_KEYS does not start, whatever its stores: exit 78, one line', async (t) => {
  // The image's command with the folder store: it once served the public dev-admin-key on 0.0.0.0.
  const proc = startProcess(t, 'engine/main.ts', { DATA_DIR: scratchDir(t), PORT: '0', INTERNAL_PORT: '0' });
  t.same(await proc.exited, { code: 78, signal: null });
  const lines = proc.stdout().trim().split('\n');
  t.equal(lines.length, 1, 'one JSON line on stdout');
  t.match(JSON.parse(lines[0]!), { level: 'error', msg: 'config invalid; not starting', problems: [/^API_KEYS is required: /], exit_code: 78 });
  t.equal(proc.stderr(), `engine: config: ${(JSON.parse(lines[0]!) as { problems: string[] }).problems[0]}\n`, 'one plain line on stderr');
});

t.test('npm start with the dev keys: both listeners on loopback only, and the banner says so', async (t) => {
  const dir = scratchDir(t);
  const proc = startProcess(t, 'embedded/main.ts', { DATA_DIR: dir, PORT: '0', INTERNAL_PORT: '0', ENGINE_WORKERS: '1' });
  await proc.waitFor(EMBEDDED_SERVING);
  const [, port, internal] = /"msg":"engine listening".*?"port":(\d+),"internal_port":(\d+)/.exec(proc.stdout())!;
  t.same(await listeningAddresses(Number(port)), ['127.0.0.1'], 'public listener on 127.0.0.1');
  t.same(await listeningAddresses(Number(internal)), ['127.0.0.1'], 'internal listener on 127.0.0.1');
  const banner = (await proc.waitFor(/try:\s+curl[^\n]*\n/, 30_000, 'stderr')).input!;
  t.match(banner, /DEV-ONLY API KEYS/);
  t.match(banner, /loopback only \(127\.0\.0\.1, 127\.0\.0\.1\)/);
  proc.child.kill('SIGTERM');
  t.equal((await proc.exited).code, 0);
});

t.test('the dev keys never listen beyond loopback: HOST=0.0.0.0 without API_KEYS is refused', async (t) => {
  const proc = startProcess(t, 'embedded/main.ts', { DATA_DIR: scratchDir(t), HOST: '0.0.0.0', PORT: '0', INTERNAL_PORT: '0' });
  t.same(await proc.exited, { code: 78, signal: null });
  t.match(proc.stderr(), /^arcade-edge: config: HOST must be a loopback address while the dev keys are in use/);
});

const engineEnv = (dir: string, port: number, internal: number) => ({
  DATA_DIR: dir,
  HOST: '127.0.0.1',
  PORT: String(port),
  INTERNAL_PORT: String(internal),
  API_KEYS: `game:${GAME_KEY}`,
});
const LISTENING = /"msg":"engine listening".*?"server_pids":\[([\d,]+)\]/;

for (const workers of ['1', '2']) {
  t.test(`ENGINE_WORKERS=${workers}: a second engine on the same PORT fails to start and names the first`, async (t) => {
    const [port, internal1, internal2] = [await freePort(), await freePort(), await freePort()];
    const dir = scratchDir(t);
    const first = startProcess(t, 'engine/main.ts', { ...engineEnv(dir, port, internal1), ENGINE_WORKERS: workers });
    await first.waitFor(LISTENING);
    const second = startProcess(t, 'engine/main.ts', { ...engineEnv(dir, port, internal2), ENGINE_WORKERS: workers });
    t.same(await second.exited, { code: 1, signal: null }, 'exit 1');
    t.match(second.stderr(), new RegExp(`^engine: failed: PORT_UNAVAILABLE: PORT ${port} is already served by another arcade-edge engine \\(pid ${first.child.pid}\\)`));
    t.same(await listeningAddresses(port), Array(Number(workers)).fill('127.0.0.1'), "only the first engine's servers listen");
    const http = httpClient(t);
    t.equal((await http.get(`http://127.0.0.1:${internal1}/healthz`)).status, 200, 'the first engine is untouched');
    first.child.kill('SIGTERM');
    t.equal((await first.exited).code, 0);

    // Once the first is gone, the port is free again: the lock dies with its process.
    const third = startProcess(t, 'engine/main.ts', { ...engineEnv(dir, port, internal2), ENGINE_WORKERS: workers });
    await third.waitFor(LISTENING);
    third.child.kill('SIGKILL');
    await third.exited;
    // Its server processes leave as soon as they see the main process gone.
    await eventually(() => listeningAddresses(port), (a) => a.length === 0, 10_000, 'its server processes gone');
    const fourth = startProcess(t, 'engine/main.ts', { ...engineEnv(dir, port, internal2), ENGINE_WORKERS: workers });
    await fourth.waitFor(LISTENING);
    t.pass('a SIGKILLed engine leaves no stale claim');
    fourth.child.kill('SIGTERM');
    t.equal((await fourth.exited).code, 0);
  });
}

t.test('a second engine or syncer on the same INTERNAL_PORT fails to start', async (t) => {
  const [port1, port2, internal] = [await freePort(), await freePort(), await freePort()];
  const dir = scratchDir(t);
  const first = startProcess(t, 'engine/main.ts', { ...engineEnv(dir, port1, internal), ENGINE_WORKERS: '1' });
  await first.waitFor(LISTENING);
  const second = startProcess(t, 'engine/main.ts', { ...engineEnv(dir, port2, internal), ENGINE_WORKERS: '1' });
  t.same(await second.exited, { code: 1, signal: null });
  t.match(second.stderr(), new RegExp(`^engine: failed: PORT_UNAVAILABLE: the internal port ${internal} on 127\\.0\\.0\\.1 cannot be bound`));
  t.same(await listeningAddresses(internal), ['127.0.0.1'], 'one internal listener');
  // A syncer whose Redis is not there yet still starts its internal listener (standby).
  const syncer = startProcess(t, 'syncer/main.ts', { REDIS_URL: 'redis://127.0.0.1:1', INTERNAL_HOST: '127.0.0.1', INTERNAL_PORT: String(internal) });
  t.equal((await syncer.exited).code, 1);
  t.match(syncer.stderr(), /PORT_UNAVAILABLE: the internal port/);
  first.child.kill('SIGTERM');
  t.equal((await first.exited).code, 0);
});

t.test('another program sharing the port (SO_REUSEPORT) is found before the engine binds', async (t) => {
  const port = await freePort();
  const other = uWS.App();
  const token = await new Promise<unknown>((resolve) => other.listen('127.0.0.1', port, resolve));
  t.ok(token, 'a bare uWS app (SO_REUSEPORT) holds the port');
  t.teardown(() => uWS.us_listen_socket_close(token as never));
  const engine = startProcess(t, 'engine/main.ts', { ...engineEnv(scratchDir(t), port, 0), ENGINE_WORKERS: '1' });
  t.same(await engine.exited, { code: 1, signal: null });
  t.match(engine.stderr(), new RegExp(`^engine: failed: PORT_UNAVAILABLE: PORT ${port} on 127\\.0\\.0\\.1 is in use by another program`));
});
