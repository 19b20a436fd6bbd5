// The S3 snapshot store against the shared contract on a real S3-compatible server (s3rver), plus
// what is particular to S3: the object layout, gzip, and a clear error while the server is down.

import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { S3SnapshotStore } from '../../../../core/store/s3-snapshot-store.js';
import { runSnapshotStoreContract } from '../../../contract/snapshot-store.js';
import { startS3 } from '../../../helpers/s3.js';

const BUCKET = 'snapshots';

t.test('S3SnapshotStore', async (t) => {
  const s3 = await startS3(t, [BUCKET]);
  let n = 0;
  // One server for the suite; each contract case gets its own key prefix, so cases never see each other.
  runSnapshotStoreContract(t, 'S3SnapshotStore', async () => ({
    store: new S3SnapshotStore({ client: s3.client(), bucket: BUCKET, prefix: `case-${++n}/` }),
    cleanup: async () => {},
  }));

  t.test('layout: gzip version objects with a hash, a plain-text pointer written last', async (t) => {
    const client = s3.client();
    const store = new S3SnapshotStore({ client, bucket: BUCKET, prefix: 'layout/' });
    await store.put('ads', 'v1', Buffer.from('{"one":1}'));
    await store.setLatest('ads', 'v1');
    const version = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'layout/snapshots/ads/v1' }));
    t.equal(gunzipSync(await version.Body!.transformToByteArray()).toString(), '{"one":1}');
    t.match(version.Metadata, { sha256: /^[0-9a-f]{64}$/ });
    const pointer = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'layout/snapshots/ads/latest' }));
    t.equal(await pointer.Body!.transformToString(), 'v1\n');
    t.equal(store.description, `s3://${BUCKET}/layout/snapshots`);
  });

  t.test('a version object that is not gzip is reported corrupt, not returned', async (t) => {
    const client = s3.client();
    const store = new S3SnapshotStore({ client, bucket: BUCKET, prefix: 'corrupt/' });
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'corrupt/snapshots/ads/v1', Body: 'not gzip' }));
    await t.rejects(store.get('ads', 'v1'), { code: 'SNAPSHOT_CORRUPT' });
  });
});

t.test('S3SnapshotStore: a pointer that stays incomplete is an error, not a version', async (t) => {
  const s3 = await startS3(t, [BUCKET]);
  const client = s3.client();
  const store = new S3SnapshotStore({ client, bucket: BUCKET });
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'snapshots/ads/latest', Body: 'v1' }));
  await t.rejects(store.latest('ads'), { code: 'SNAPSHOT_CORRUPT' });
});

t.test('S3SnapshotStore with the server down: reads reject, nothing hangs', async (t) => {
  const s3 = await startS3(t, [BUCKET]);
  const store = new S3SnapshotStore({ client: s3.client(), bucket: BUCKET });
  await s3.stop();
  await t.rejects(store.latest('ads'));
  await t.rejects(store.get('ads', 'v1'));
});
