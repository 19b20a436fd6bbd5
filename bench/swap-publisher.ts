// Child of bench/swap.ts: publishes prepared snapshot files into a folder store, the first after
// half an interval and then one every interval, until killed. A separate process, so the load
// generator's busy event loop cannot delay the publishes (it did, in-process).
// argv: <data dir> <interval ms> <snapshot file>...

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { FsSnapshotStore } from '../core/store/fs-snapshot-store.js';
import { publishSnapshot } from '../syncer/publish/publish-snapshot.js';

const [dataDir, everyMs, ...files] = process.argv.slice(2);
const store = new FsSnapshotStore(dataDir!);
let next = 0;
const publish = async () => {
  const file = files[next++ % files.length]!;
  // File names are the versions.
  await publishSnapshot(store, null, 'ads', basename(file), readFileSync(file));
  process.stdout.write(`published ${basename(file)}\n`);
};
setTimeout(() => {
  void publish();
  setInterval(() => void publish(), Number(everyMs));
}, Number(everyMs) / 2);
process.stdout.write('READY\n');
