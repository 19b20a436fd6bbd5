// The EventLog contract (core/store/event-log.ts) as one suite every adapter runs: Redis Streams
// and the embedded file log. An adapter is done when this passes.

import type { Test } from 'tap';
import type { EventLog } from '../../core/store/event-log.js';
import { START, compareEventIds, encodeEvent, nextEventId } from '../../core/domain/stream/event.js';

export function runEventLogContract(t: Test, name: string, make: (t: Test) => Promise<EventLog>): void {
  const ev = (n: number) => ({ type: 'report', data: { n, email: `p${n}@example.com`, note: 'ünïcode "quoted"' } });

  t.test(`${name}: appends come back in order with their ids, types and data`, async (t) => {
    const log = await make(t);
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push(await log.append(ev(n)));
    for (let i = 1; i < ids.length; i++) t.ok(compareEventIds(ids[i - 1]!, ids[i]!) < 0, 'ids increase');
    const all = await log.read(START, { count: 100 });
    t.same(all, ids.map((id, n) => ({ id, ...ev(n) })));
    t.same((await log.read(ids[2]!, { count: 100 })).map((e) => e.id), ids.slice(3), 'read after an id');
    t.same((await log.read(START, { count: 2 })).map((e) => e.id), ids.slice(0, 2), 'count caps a read');
    t.same(await log.read(ids[4]!, { count: 10 }), [], 'nothing after the last');
  });

  t.test(`${name}: concurrent appends all land, once each, in id order`, async (t) => {
    const log = await make(t);
    const ids = await Promise.all(Array.from({ length: 200 }, (_, n) => log.append(ev(n))));
    t.equal(new Set(ids).size, 200);
    const read = await log.read(START, { count: 1000 });
    t.same(read.map((e) => e.id), [...ids].sort(compareEventIds));
    t.same(read.map((e) => (e.data as { n: number }).n).sort((a, b) => a - b), Array.from({ length: 200 }, (_, n) => n));
  });

  t.test(`${name}: a batch lands whole, in order, its ids after every earlier one; batches interleave in the order sent`, async (t) => {
    const log = await make(t);
    const before = await log.append(ev(0));
    t.same(await log.appendBatch([]), [], 'an empty batch: no ids');
    const [a, b] = await Promise.all([
      log.appendBatch([1, 2, 3].map((n) => encodeEvent(ev(n)))),
      log.appendBatch([4, 5].map((n) => encodeEvent(ev(n)))),
    ]);
    t.equal(a!.length, 3);
    t.equal(b!.length, 2);
    const ids = [before, ...a!, ...b!];
    for (let i = 1; i < ids.length; i++) t.ok(compareEventIds(ids[i - 1]!, ids[i]!) < 0, `id ${i} after id ${i - 1}`);
    t.same(await log.read(START, { count: 100 }), ids.map((id, n) => ({ id, ...ev(n) })), 'read back as appended, payloads intact');
  });

  t.test(`${name}: a blocking read waits for the next append, or returns nothing in time`, async (t) => {
    const log = await make(t);
    const last = await log.append(ev(0));
    const waiting = log.read(last, { count: 10, blockMs: 5_000 });
    setTimeout(() => void log.append(ev(1)), 50);
    const got = await waiting;
    t.same(got.map((e) => (e.data as { n: number }).n), [1]);
    t.same(await log.read(got[0]!.id, { count: 10, blockMs: 100 }), [], 'times out empty');
  });

  t.test(`${name}: a consumer group hands each event to one consumer, keeps it pending until acked`, async (t) => {
    const log = await make(t);
    for (let n = 0; n < 6; n++) await log.append(ev(n));
    await log.ensureGroup('votes', START);
    await log.ensureGroup('votes', START); // idempotent
    const a = await log.readGroup('votes', 'a', { count: 4 });
    const b = await log.readGroup('votes', 'b', { count: 4 });
    t.same([...a, ...b].map((e) => (e.data as { n: number }).n), [0, 1, 2, 3, 4, 5], 'each event once');
    t.same(await log.readGroup('votes', 'a', { count: 4 }), [], 'nothing new');
    t.equal(await log.ack('votes', a.map((e) => e.id)), 4);
    t.equal(await log.ack('votes', a.map((e) => e.id)), 0, 'acking twice counts nothing');
    // b "dies" with its two events unacked: after the idle time another consumer claims them.
    t.same(await log.claimIdle('votes', 'c', 60_000, 10), [], 'not idle long enough');
    await new Promise((r) => setTimeout(r, 60));
    const claimed = await log.claimIdle('votes', 'c', 50, 10);
    t.same(claimed.map((e) => (e.data as { n: number }).n), [4, 5]);
    t.equal(await log.ack('votes', claimed.map((e) => e.id)), 2);
    await new Promise((r) => setTimeout(r, 60));
    t.same(await log.claimIdle('votes', 'd', 50, 10), [], 'acked events are never claimed');
  });

  t.test(`${name}: groupFloor() is the oldest event a group still needs`, async (t) => {
    const log = await make(t);
    t.equal(await log.groupFloor('votes'), null, 'no group, no floor');
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) ids.push(await log.append(ev(n)));
    await log.ensureGroup('votes', START);
    t.ok(compareEventIds((await log.groupFloor('votes'))!, ids[0]!) <= 0, 'nothing delivered: the floor is at or before the first event');
    const [a, b] = await log.readGroup('votes', 'a', { count: 2 });
    t.equal(await log.groupFloor('votes'), a!.id, 'the oldest pending');
    await log.ack('votes', [a!.id]);
    t.equal(await log.groupFloor('votes'), b!.id);
    await log.ack('votes', [b!.id]);
    t.equal(await log.groupFloor('votes'), nextEventId(b!.id), 'all acked: after the last delivered');
    t.ok(compareEventIds((await log.groupFloor('votes'))!, ids[2]!) <= 0, 'the undelivered are still needed');
  });

  t.test(`${name}: a group created at "$" sees only later events; blocking group reads wait`, async (t) => {
    const log = await make(t);
    await log.append(ev(0));
    await log.ensureGroup('late', '$');
    const waiting = log.readGroup('late', 'a', { count: 10, blockMs: 5_000 });
    setTimeout(() => void log.append(ev(1)), 50);
    t.same((await waiting).map((e) => (e.data as { n: number }).n), [1]);
  });

  t.test(`${name}: trim drops only events older than the id given; first() is the oldest kept`, async (t) => {
    const log = await make(t);
    t.equal(await log.first(), null, 'an empty log has no first event');
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push(await log.append(ev(n)));
    t.equal(await log.first(), ids[0]);
    t.equal(await log.trim(ids[3]!), 3);
    t.equal(await log.first(), ids[3], 'first() moves with the trim');
    t.same((await log.read(START, { count: 10 })).map((e) => e.id), ids.slice(3));
    t.equal(await log.trim(ids[0]!), 0, 'nothing older left');
    await log.trim(`${Number(ids[4]!.split('-')[0]) + 1}-0`);
    t.equal(await log.first(), null, 'trimmed empty');
    const after = await log.append(ev(5));
    t.ok(compareEventIds(after, ids[4]!) > 0, 'appends go on after a trim');
  });
}
