// The file event log against the shared contract (real files), plus what only the file log has to
// prove: it survives a restart, torn last line included.

import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { START } from '../../../../core/domain/stream/event.js';
import { FileEventLog } from '../../../../core/store/file-event-log.js';
import { runEventLogContract } from '../../../contract/event-log.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

runEventLogContract(t, 'FileEventLog', async (t) => {
  const log = await FileEventLog.open(scratchDir(t));
  t.teardown(() => log.close());
  return log;
});

t.test('FileEventLog: events and group positions survive a restart; a torn last line is dropped', async (t) => {
  const dir = scratchDir(t);
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
