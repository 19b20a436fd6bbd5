// The folder snapshot store against the shared contract, plus what is particular to a folder.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { FsSnapshotStore } from '../../../../core/store/fs-snapshot-store.js';
import { runSnapshotStoreContract } from '../../../contract/snapshot-store.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

runSnapshotStoreContract(t, 'FsSnapshotStore', async (t) => ({ store: new FsSnapshotStore(scratchDir(t)), cleanup: async () => {} }));

t.test('FsSnapshotStore: files on disk, pointer as one line, no temporary files left', async (t) => {
  const dir = scratchDir(t);
  const store = new FsSnapshotStore(dir);
  await store.put('ads', 'v1', Buffer.from('{"one":1}'));
  await store.setLatest('ads', 'v1');
  await store.put('ads', 'v2', Buffer.from('{"two":2}'));
  await store.setLatest('ads', 'v2');
  const folder = join(dir, 'snapshots', 'ads');
  t.same((await readdir(folder)).sort(), ['latest', 'v1.json', 'v2.json']);
  t.equal(await readFile(join(folder, 'latest'), 'utf8'), 'v2\n');
  t.equal(await readFile(join(folder, 'v1.json'), 'utf8'), '{"one":1}');
  t.equal(store.description, `folder ${join(dir, 'snapshots')}`);
});
