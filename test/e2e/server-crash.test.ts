// A server process that dies outside shutdown (OOM, a native crash) takes the engine down loudly:
// an error line naming it and exit code 1, so the orchestrator restarts the whole engine instead of
// it serving on fewer cores unnoticed.

import t from 'tap';
import { startProcess } from '../helpers/spawn.js';
import { GAME_KEY } from '../helpers/test-engine.js';
import { scratchDir } from '../helpers/scratch-dir.js';

t.test('SIGKILL of one server process → error log and exit 1', async (t) => {
  const dir = scratchDir(t);
  const proc = startProcess(t, 'engine/main.ts', {
    DATA_DIR: dir,
    HOST: '127.0.0.1',
    PORT: '0',
    INTERNAL_PORT: '0',
    ENGINE_WORKERS: '2',
    API_KEYS: `game:${GAME_KEY}`,
  });
  // The pids come from the engine's own start-up line: `ps` differs between machines (procps, busybox).
  const [, pidList] = await proc.waitFor(/"msg":"engine listening".*"server_pids":\[([\d,]+)\]/);
  const children = pidList!.split(',').map(Number);
  t.equal(children.length, 2, 'two server processes');
  t.notOk(children.includes(proc.child.pid!), 'servers are children, not the main process');
  process.kill(children[0]!, 'SIGKILL');
  t.same(await proc.exited, { code: 1, signal: null });
  t.match(proc.stdout(), /"level":"error","time":"[^"]+","msg":"engine server process died".*signal SIGKILL/);
});
