// Errors that cross the engine's boundaries come back as their own class: a snapshot refused inside
// a server process (IPC) or on the index builder's thread (worker_threads) rejects in the caller
// with a SnapshotCorruptError carrying the code and message of the original, not a plain Error.

import t from 'tap';
import { testServerOptions } from '../../../helpers/server-options.js';
import { ArcadeError, SnapshotCorruptError } from '../../../../core/errors.js';
import { IndexBuilder } from '../../../../engine/indexes/index-builder.js';
import { ProcessPool } from '../../../../engine/pool/process-pool.js';

const options = testServerOptions;

t.test('a snapshot that fails to decode in a server process rejects with SnapshotCorruptError', async (t) => {
  const crashes: Error[] = [];
  const pool = await ProcessPool.start(2, options, (err) => crashes.push(err), null);
  t.teardown(() => pool.close());

  const err = await pool.install(Buffer.from('{"kind":"ads"')).then(() => null, (e: unknown) => e);
  t.ok(err instanceof SnapshotCorruptError, `install: rebuilt as its class (got ${(err as Error | null)?.name})`);
  t.ok(err instanceof ArcadeError, 'install: an ArcadeError');
  t.match(err, { name: 'SnapshotCorruptError', code: 'SNAPSHOT_CORRUPT', message: /^snapshot is not valid JSON: / });

  const load = await pool.loadStream(Buffer.from('not a stream snapshot')).then(() => null, (e: unknown) => e);
  t.ok(load instanceof SnapshotCorruptError, `loadStream: rebuilt as its class (got ${(load as Error | null)?.name})`);
  t.match(load, { code: 'SNAPSHOT_CORRUPT' });
  t.same(crashes, [], 'a refused snapshot takes no server down');
});

t.test('a snapshot refused on the index builder thread rejects with SnapshotCorruptError', async (t) => {
  const builder = new IndexBuilder();
  const err = await builder.build(Buffer.from('{"kind":"ads"'), { asOf: 0 }).then(() => null, (e: unknown) => e);
  t.ok(err instanceof SnapshotCorruptError, `rebuilt as its class (got ${(err as Error | null)?.name})`);
  t.match(err, { name: 'SnapshotCorruptError', code: 'SNAPSHOT_CORRUPT', message: /^snapshot is not valid JSON: / });
});
