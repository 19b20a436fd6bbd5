// Group commit: what one turn of the event loop accepts goes to the sink as one batch, bounded by a
// count and a size; each write gets its own id back; a failed batch fails every write in it. The
// sink here records what it is given (the adapters' own batching is the event log contract's).

import t from 'tap';
import { encodeEvent, type EncodedEvent } from '../../../../core/domain/stream/event.js';
import type { BatchSink } from '../../../../core/store/event-log.js';
import { DEFAULT_BATCH_LIMITS, GroupCommit } from '../../../../core/store/group-commit.js';
import { FileEventLog } from '../../../../core/store/file-event-log.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

const ev = (n: number) => ({ type: 'vote_cast', data: { n } });

/** Numbers its events in arrival order; `fail` makes the next batch reject. */
class RecordingSink implements BatchSink {
  batches: EncodedEvent[][] = [];
  fail: Error | null = null;
  private next = 1;
  async appendBatch(events: readonly EncodedEvent[]): Promise<string[]> {
    this.batches.push([...events]);
    if (this.fail !== null) throw this.fail;
    return events.map(() => `1-${this.next++}`);
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

t.test('the writes of one turn travel as one batch; each gets its own id, in order', async (t) => {
  const sink = new RecordingSink();
  const commit = new GroupCommit(sink);
  const ids = Promise.all([commit.append(ev(1)), commit.appendBatch([encodeEvent(ev(2)), encodeEvent(ev(3))]), commit.append(ev(4))]);
  t.equal(sink.batches.length, 0, 'nothing sent before the turn ends');
  t.same(await ids, ['1-1', ['1-2', '1-3'], '1-4']);
  t.equal(sink.batches.length, 1, 'one batch');
  t.same(sink.batches[0]!.map((e) => JSON.parse(e.data).n), [1, 2, 3, 4]);
  await commit.append(ev(5));
  t.equal(sink.batches.length, 2, 'the next turn: the next batch');
});

t.test('a batch closes at maxEvents or maxBytes; a write is never split across batches', async (t) => {
  const sink = new RecordingSink();
  const commit = new GroupCommit(sink, { maxEvents: 3, maxBytes: 1 << 20, windowMs: 0 });
  await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => commit.append(ev(n))));
  t.same(sink.batches.map((b) => b.length), [3, 3, 1]);

  const bySize = new RecordingSink();
  const small = new GroupCommit(bySize, { maxEvents: 100, maxBytes: 1024, windowMs: 0 });
  const big = { type: 'x', data: 'a'.repeat(600) };
  await Promise.all([small.append(big), small.append(big), small.append(big)]);
  t.same(bySize.batches.map((b) => b.length), [1, 1, 1], 'two would pass maxBytes: each goes alone');

  const whole = new RecordingSink();
  const capped = new GroupCommit(whole, { maxEvents: 2, maxBytes: 1 << 20, windowMs: 0 });
  const five = [1, 2, 3, 4, 5].map((n) => encodeEvent(ev(n)));
  t.equal((await Promise.all([capped.append(ev(0)), capped.appendBatch(five)]))[1]!.length, 5);
  t.same(whole.batches.map((b) => b.length), [1, 5], 'a batch larger than maxEvents goes whole, alone');
});

t.test('with a window, the writes of several turns share a batch', async (t) => {
  const sink = new RecordingSink();
  const commit = new GroupCommit(sink, { ...DEFAULT_BATCH_LIMITS, windowMs: 30 });
  const first = commit.append(ev(1));
  await turn();
  await turn();
  t.equal(sink.batches.length, 0, 'still open after two turns');
  await Promise.all([first, commit.append(ev(2))]);
  t.same(sink.batches.map((b) => b.length), [2]);
});

t.test('a failed batch rejects every write in it and acknowledges none; the next batch is independent', async (t) => {
  const sink = new RecordingSink();
  const failures: number[] = [];
  const commit = new GroupCommit(sink, DEFAULT_BATCH_LIMITS, { committed: () => {}, failed: (n) => failures.push(n) });
  sink.fail = new Error('redis down');
  const results = await Promise.allSettled([commit.append(ev(1)), commit.appendBatch([encodeEvent(ev(2))]), commit.append(ev(3))]);
  t.same(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  t.same(failures, [3], 'observed as one failed batch of three');
  sink.fail = null;
  t.equal(await commit.append(ev(4)), '1-1');
});

t.test('on the file event log: many writes, few fsyncs, every id read back once', async (t) => {
  const log = await FileEventLog.open(scratchDir(t));
  t.teardown(() => log.close());
  const sink = new RecordingSink();
  const counting: BatchSink = {
    appendBatch: (events) => {
      sink.batches.push([...events]);
      return log.appendBatch(events);
    },
  };
  const commit = new GroupCommit(counting, { maxEvents: 64, maxBytes: 1 << 20, windowMs: 0 });
  const ids = await Promise.all(Array.from({ length: 1000 }, (_, n) => commit.append(ev(n))));
  t.equal(new Set(ids).size, 1000, 'a distinct id each');
  t.ok(sink.batches.length <= Math.ceil(1000 / 64), `${sink.batches.length} batches for 1000 writes`);
  const read = await log.read('0-0', { count: 2000 });
  t.same(read.map((e) => e.id), ids, 'in the log once each, in the order accepted');
  t.same(read.map((e) => (e.data as { n: number }).n), Array.from({ length: 1000 }, (_, n) => n));
});
