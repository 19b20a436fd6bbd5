// The SnapshotStore contract (core/store/snapshot-store.ts), as one suite every adapter runs:
// the folder store and the S3 store (against s3rver). An adapter is done when this passes.

import type { Test } from 'tap';
import type { SnapshotStore } from '../../core/store/snapshot-store.js';

export interface StoreUnderTest {
  store: SnapshotStore;
  cleanup(): Promise<void>;
}

/** make() gets the case's own test, for its scratch folder or teardown. */
export function runSnapshotStoreContract(t: Test, name: string, make: (t: Test) => Promise<StoreUnderTest>): void {
  const fresh = async (t: Test): Promise<SnapshotStore> => {
    const s = await make(t);
    t.teardown(() => s.cleanup());
    return s.store;
  };
  const bytes = (s: string) => Buffer.from(s);

  t.test(`${name}: an empty store has no latest and no versions`, async (t) => {
    const store = await fresh(t);
    t.equal(await store.latest('ads'), null);
    t.same(await store.list('ads'), []);
    await t.rejects(store.get('ads', 'v1'), { code: 'SNAPSHOT_NOT_FOUND' });
  });

  t.test(`${name}: put, then setLatest, then get`, async (t) => {
    const store = await fresh(t);
    await store.put('ads', 'v1', bytes('one'));
    t.equal(await store.latest('ads'), null, 'put alone publishes nothing');
    await store.setLatest('ads', 'v1');
    t.equal(await store.latest('ads'), 'v1');
    t.same(Buffer.from(await store.get('ads', 'v1')), bytes('one'));
  });

  t.test(`${name}: versions are immutable`, async (t) => {
    const store = await fresh(t);
    await store.put('ads', 'v1', bytes('one'));
    await store.put('ads', 'v1', bytes('one'));
    await t.rejects(store.put('ads', 'v1', bytes('other')), { code: 'SNAPSHOT_EXISTS' });
    t.same(Buffer.from(await store.get('ads', 'v1')), bytes('one'));
  });

  t.test(`${name}: get returns bytes of the caller's own: changing them changes neither the store nor the next get`, async (t) => {
    const store = await fresh(t);
    await store.put('ads', 'v1', bytes('one'));
    const first = await store.get('ads', 'v1');
    first.fill(0);
    t.same(Buffer.from(await store.get('ads', 'v1')), bytes('one'));
  });

  t.test(`${name}: the pointer only moves to versions that exist`, async (t) => {
    const store = await fresh(t);
    await t.rejects(store.setLatest('ads', 'missing'), { code: 'SNAPSHOT_NOT_FOUND' });
    t.equal(await store.latest('ads'), null);
  });

  t.test(`${name}: list is every version, oldest first; rollback is a pointer move`, async (t) => {
    const store = await fresh(t);
    for (const v of ['20300101T000000000Z-b', '20300101T000000000Z-a', '20290101T000000000Z-z']) await store.put('ads', v, bytes(v));
    t.same(await store.list('ads'), ['20290101T000000000Z-z', '20300101T000000000Z-a', '20300101T000000000Z-b']);
    await store.setLatest('ads', '20300101T000000000Z-b');
    await store.setLatest('ads', '20290101T000000000Z-z');
    t.equal(await store.latest('ads'), '20290101T000000000Z-z');
  });

  t.test(`${name}: remove deletes a version for good, never the pointed-to one`, async (t) => {
    const store = await fresh(t);
    for (const v of ['v1', 'v2', 'v3']) await store.put('stream', v, bytes(v));
    await store.setLatest('stream', 'v3');
    t.equal(await store.remove('stream', 'v1'), true);
    t.same(await store.list('stream'), ['v2', 'v3']);
    await t.rejects(store.get('stream', 'v1'), { code: 'SNAPSHOT_NOT_FOUND' });
    t.equal(await store.remove('stream', 'v1'), false, 'gone already');
    t.equal(await store.remove('stream', 'never'), false, 'never stored');
    t.equal(await store.remove('stream', '../x'), false, 'outside the alphabet');
    t.equal(await store.remove('stream', 'v3'), false, 'the pointer names it');
    t.same(Buffer.from(await store.get('stream', 'v3')), bytes('v3'));
    t.equal(await store.remove('ads', 'v2'), false, 'another kind');
    t.same(await store.list('stream'), ['v2', 'v3']);
  });

  t.test(`${name}: versions outside the safe alphabet are refused`, async (t) => {
    const store = await fresh(t);
    for (const bad of ['../x', 'a/b', '', '.hidden', 'x'.repeat(200)]) {
      await t.rejects(store.put('ads', bad, bytes('x')), { code: 'SNAPSHOT_NOT_FOUND' }, JSON.stringify(bad));
      await t.rejects(store.get('ads', bad), { code: 'SNAPSHOT_NOT_FOUND' });
    }
  });

  t.test(`${name}: readers during pointer moves always get a complete version`, async (t) => {
    const store = await fresh(t);
    const versions = Array.from({ length: 20 }, (_, i) => `v${String(i).padStart(2, '0')}`);
    const payload = (v: string) => bytes(`${v}:${'x'.repeat(64 * 1024)}`);
    await store.put('ads', versions[0]!, payload(versions[0]!));
    await store.setLatest('ads', versions[0]!);
    let stop = false;
    let reads = 0;
    const reader = async () => {
      while (!stop) {
        const v = await store.latest('ads');
        t.ok(v !== null && versions.includes(v), 'pointer names a version');
        const got = Buffer.from(await store.get('ads', v!));
        if (!got.equals(payload(v!))) t.fail(`torn read of ${v}`);
        reads++;
      }
    };
    const readers = [reader(), reader()];
    for (const v of versions.slice(1)) {
      await store.put('ads', v, payload(v));
      await store.setLatest('ads', v);
    }
    stop = true;
    await Promise.all(readers);
    t.ok(reads > 0);
    t.equal(await store.latest('ads'), versions.at(-1));
  });
}
