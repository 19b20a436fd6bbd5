// Both event logs against the shared contract (real redis-server; real files), plus what only the
// file log has to prove: it survives a restart, torn last line included.

import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { START } from '../../engine/store/event-log.js';
import { FileEventLog } from '../../engine/store/file-event-log.js';
import { openRedis, redisReady } from '../../engine/store/redis-connection.js';
import { RedisEventLog } from '../../engine/store/redis-event-log.js';
import { runEventLogContract } from '../contract/event-log.js';
import { startRedis } from '../helpers/redis.js';

const tempDir = async (t: { teardown(fn: () => unknown): void }) => {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-edge-events-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

t.test('RedisEventLog', async (t) => {
  const server = await startRedis(t);
  let n = 0;
  runEventLogContract(t, 'RedisEventLog', async (t) => {
    const redis = openRedis(server.url, 'events');
    const blocking = openRedis(server.url, 'events-blocking');
    await Promise.all([redisReady(redis, 5_000), redisReady(blocking, 5_000)]);
    const log = new RedisEventLog(redis, blocking, `events:${++n}`);
    t.teardown(async () => {
      await log.close();
      redis.disconnect();
    });
    return log;
  });
});

runEventLogContract(t, 'FileEventLog', async (t) => {
  const log = await FileEventLog.open(await tempDir(t));
  t.teardown(() => log.close());
  return log;
});

t.test('FileEventLog: events and group positions survive a restart; a torn last line is dropped', async (t) => {
  const dir = await tempDir(t);
  const first = await FileEventLog.open(dir);
  const ids = [await first.append({ type: 'a', data: 1 }), await first.append({ type: 'b', data: 2 })];
  await first.ensureGroup('g', START);
  const [delivered] = await first.readGroup('g', 'c1', { count: 1 });
  await first.close();
  // A crash in the middle of the next write:
  await appendFile(join(dir, 'events.jsonl'), '{"id":"9999999999999-0","type":"c","da');

  const second = await FileEventLog.open(dir);
  t.teardown(() => second.close());
  t.same((await second.read(START, { count: 10 })).map((e) => e.id), ids, 'the torn event never existed');
  t.notOk((await readFile(join(dir, 'events.jsonl'), 'utf8')).includes('9999999999999'), 'and is gone from the file');
  t.same((await second.readGroup('g', 'c1', { count: 10 })).map((e) => e.id), [ids[1]], 'the group resumes after what it delivered');
  await new Promise((r) => setTimeout(r, 30));
  t.same((await second.claimIdle('g', 'c2', 20, 10)).map((e) => e.id), [delivered!.id, ids[1]], 'pending survived too');
  const next = await second.append({ type: 'c', data: 3 });
  t.ok(next > ids[1]!, 'ids go on increasing');
});
