// EventLog on local files (embedded mode): <dir>/events.jsonl, one JSON line per event, and
// <dir>/groups.json with each consumer group's position and pending events. Appends are group
// committed: the batches waiting when a write starts go out in one write and one fsync, and every
// append in them resolves after that fsync (a failed write or fsync rejects them all). In memory there is only an index: each event's id
// (as two numbers) and byte offset; reads fetch the lines from the file (the page cache keeps the
// tail that followers read warm). At 1M events that is ~20 MB, not the ~400 MB of parsed events.
// A torn last line (a crash mid-write) is dropped at open: its append never resolved.
// trim() rewrites the file without its head, so it runs alone: batch writes and reads share the
// file (appends only add past what a read looks at), trim waits for them and holds new ones back.

import { EventEmitter } from 'node:events';
import { mkdir, open, readFile, rename, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ConsumerGroupMissingError, EventLogCorruptError } from '../errors.js';
import { writeAtomically } from './atomic-file.js';
import type { EventLog, ReadOptions } from './event-log.js';
import { START, compareEventIds, encodeEvent, nextEventId, splitEventId, type EncodedEvent, type LoggedEvent, type NewEvent } from '../domain/stream/event.js';

interface Pending {
  consumer: string;
  deliveredAt: number;
}

interface Group {
  /** Last event handed out by readGroup. */
  lastDelivered: string;
  pending: Map<string, Pending>;
}

interface Line {
  line: string;
  ms: number;
  seq: number;
}

const NEWLINE = 0x0a;
/** `{"id":"` — every line starts so (append writes them). */
const ID_START = 7;

/** Where each event is: id as (ms, seq), its line's start offset; plus the end of the last line. */
class Positions {
  ms = new Float64Array(1024);
  seq = new Float64Array(1024);
  offset = new Float64Array(1025);
  length = 0;

  push(ms: number, seq: number, start: number, end: number): void {
    if (this.length === this.ms.length) this.grow();
    this.ms[this.length] = ms;
    this.seq[this.length] = seq;
    this.offset[this.length] = start;
    this.offset[++this.length] = end;
  }

  /** Index of the first event with an id greater than (ms, seq): the port's compareEventIds order. */
  indexAfter(ms: number, seq: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.ms[mid]!;
      if (m < ms || (m === ms && this.seq[mid]! <= seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops the first n events; offsets shift down by the bytes dropped. */
  dropFirst(n: number): void {
    const base = this.offset[n]!;
    this.ms.copyWithin(0, n, this.length);
    this.seq.copyWithin(0, n, this.length);
    this.offset.copyWithin(0, n, this.length + 1);
    this.length -= n;
    for (let i = 0; i <= this.length; i++) this.offset[i]! -= base;
  }

  private grow(): void {
    const grown = (a: Float64Array, extra = 0) => {
      const b = new Float64Array(a.length * 2 + extra);
      b.set(a);
      return b;
    };
    this.ms = grown(this.ms);
    this.seq = grown(this.seq);
    this.offset = grown(this.offset, 1);
  }
}

export class FileEventLog implements EventLog {
  readonly description: string;
  private readonly positions = new Positions();
  private readonly groups = new Map<string, Group>();
  private readonly appended = new EventEmitter();
  /** Batches waiting for the next write. */
  private queue: { lines: Line[]; done: (err?: Error) => void }[] = [];
  private writing: Promise<void> | null = null;
  private lastMs = 0;
  private lastSeq = -1;
  /** Batch writes and reads in progress, and trim's wait for them to finish. */
  private active = 0;
  private idle: (() => void) | null = null;
  private trimming: Promise<number> | null = null;

  private constructor(
    private readonly dir: string,
    private file: FileHandle,
    /** Positional reads; reopened with `file` when trim replaces the file. */
    private reader: FileHandle,
  ) {
    this.description = `file ${join(dir, 'events.jsonl')}`;
    this.appended.setMaxListeners(0);
  }

  private get path(): string {
    return join(this.dir, 'events.jsonl');
  }

  static async open(dir: string): Promise<FileEventLog> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'events.jsonl');
    const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? Buffer.alloc(0) : Promise.reject(err)));
    const complete = bytes.lastIndexOf(NEWLINE) + 1;
    if (complete !== bytes.length) await truncate(path, complete);
    const log = new FileEventLog(dir, await open(path, 'a'), await open(path, 'r'));
    // Index the lines without parsing them: the id sits right after `{"id":"`.
    for (let start = 0; start < complete; ) {
      const end = bytes.indexOf(NEWLINE, start) + 1;
      const idEnd = bytes.indexOf(0x22 /* " */, start + ID_START);
      const [ms, seq] = splitEventId(bytes.toString('latin1', start + ID_START, idEnd));
      log.positions.push(ms, seq, start, end);
      [log.lastMs, log.lastSeq] = [ms, seq];
      start = end;
    }
    const groups = await readFile(join(dir, 'groups.json'), 'utf8').catch(() => '{}');
    for (const [name, g] of Object.entries(JSON.parse(groups) as Record<string, { lastDelivered: string; pending: [string, Pending][] }>)) {
      log.groups.set(name, { lastDelivered: g.lastDelivered, pending: new Map(g.pending) });
    }
    return log;
  }

  async append(event: NewEvent): Promise<string> {
    return (await this.appendBatch([encodeEvent(event)]))[0]!;
  }

  appendBatch(events: readonly EncodedEvent[]): Promise<string[]> {
    const ids: string[] = [];
    const lines: Line[] = [];
    for (const e of events) {
      const [ms, seq] = this.nextId();
      const id = `${ms}-${seq}`;
      ids.push(id);
      // The payload is JSON already: the line is spliced, not serialised again.
      lines.push({ line: `{"id":"${id}","type":${JSON.stringify(e.type)},"data":${e.data}}\n`, ms, seq });
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ lines, done: (err) => (err ? reject(err) : resolve(ids)) });
      this.writing ??= this.flush();
    });
  }

  async read(after: string, o: ReadOptions): Promise<LoggedEvent[]> {
    const found = await this.after(after, o.count);
    if (found.length > 0 || !o.blockMs) return found;
    await this.waitForAppend(o.blockMs);
    return this.after(after, o.count);
  }

  async ensureGroup(group: string, after: string): Promise<void> {
    if (this.groups.has(group)) return;
    const p = this.positions;
    const last = p.length === 0 ? START : `${p.ms[p.length - 1]}-${p.seq[p.length - 1]}`;
    this.groups.set(group, { lastDelivered: after === '$' ? last : after, pending: new Map() });
    await this.saveGroups();
  }

  async readGroup(group: string, consumer: string, o: ReadOptions): Promise<LoggedEvent[]> {
    const g = this.group(group);
    let found = await this.after(g.lastDelivered, o.count);
    if (found.length === 0 && o.blockMs) {
      await this.waitForAppend(o.blockMs);
      found = await this.after(g.lastDelivered, o.count);
    }
    if (found.length === 0) return found;
    const now = Date.now();
    for (const e of found) g.pending.set(e.id, { consumer, deliveredAt: now });
    g.lastDelivered = found.at(-1)!.id;
    await this.saveGroups();
    return found;
  }

  async ack(group: string, ids: readonly string[]): Promise<number> {
    const g = this.group(group);
    let n = 0;
    for (const id of ids) if (g.pending.delete(id)) n++;
    if (n > 0) await this.saveGroups();
    return n;
  }

  async claimIdle(group: string, consumer: string, minIdleMs: number, count: number): Promise<LoggedEvent[]> {
    const g = this.group(group);
    const now = Date.now();
    const claimed: LoggedEvent[] = [];
    for (const [id, p] of g.pending) {
      if (claimed.length === count) break;
      if (now - p.deliveredAt < minIdleMs) continue;
      const event = await this.find(id);
      if (event === undefined) {
        g.pending.delete(id); // trimmed away meanwhile
        continue;
      }
      g.pending.set(id, { consumer, deliveredAt: now });
      claimed.push(event);
    }
    if (claimed.length > 0) await this.saveGroups();
    return claimed;
  }

  async groupFloor(group: string): Promise<string | null> {
    const g = this.groups.get(group);
    if (g === undefined) return null;
    let oldest: string | null = null;
    for (const id of g.pending.keys()) if (oldest === null || compareEventIds(id, oldest) < 0) oldest = id;
    return oldest ?? nextEventId(g.lastDelivered);
  }

  async trim(minId: string): Promise<number> {
    while (this.trimming !== null) await this.trimming.catch(() => {});
    const run = (async () => {
      if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      return this.trimAlone(minId);
    })();
    this.trimming = run;
    try {
      return await run;
    } finally {
      this.trimming = null;
    }
  }

  private async trimAlone(minId: string): Promise<number> {
    const [ms, seq] = splitEventId(minId);
    // Keep events with id >= minId: drop those up to and including the one just before it.
    const p = this.positions;
    const drop = p.indexAfter(ms, seq - 1);
    if (drop === 0) return 0;
    await writeAtomically(this.path, await this.readBytes(p.offset[drop]!, p.offset[p.length]!));
    // Both handles point at the old inode after the rename: reopen them.
    await this.file.close();
    await this.reader.close();
    this.file = await open(this.path, 'a');
    this.reader = await open(this.path, 'r');
    p.dropFirst(drop);
    return drop;
  }

  /** Runs a batch write or a read; waits while a trim runs. */
  private async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.trimming !== null) await this.trimming.catch(() => {});
    this.active++;
    try {
      return await fn();
    } finally {
      if (--this.active === 0 && this.idle !== null) {
        this.idle();
        this.idle = null;
      }
    }
  }

  async first(): Promise<string | null> {
    const p = this.positions;
    return p.length === 0 ? null : `${p.ms[0]}-${p.seq[0]}`;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.file.close();
    await this.reader.close();
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      let text = '';
      for (const b of batch) for (const l of b.lines) text += l.line;
      try {
        await this.shared(async () => {
          await this.file.write(text);
          await this.file.sync();
          const p = this.positions;
          let at = p.offset[p.length]!;
          for (const b of batch) {
            for (const l of b.lines) {
              const end = at + Buffer.byteLength(l.line);
              p.push(l.ms, l.seq, at, end);
              at = end;
            }
          }
        });
      } catch (err) {
        for (const b of batch) b.done(err as Error);
        continue;
      }
      this.appended.emit('append');
      for (const b of batch) b.done();
    }
    this.writing = null;
  }

  private nextId(): [number, number] {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else {
      this.lastSeq++;
    }
    return [this.lastMs, this.lastSeq];
  }

  /** Up to `count` events with ids greater than `after`, oldest first, read from the file. */
  private after(after: string, count: number): Promise<LoggedEvent[]> {
    const [ms, seq] = splitEventId(after);
    // Positions are looked up inside shared(): a trim shifts them.
    return this.shared(() => this.slice(this.positions.indexAfter(ms, seq), count));
  }

  private async slice(from: number, count: number): Promise<LoggedEvent[]> {
    const p = this.positions;
    const to = Math.min(p.length, from + count);
    if (from >= to) return [];
    // Index and bytes are read at the same moment: appends only ever add past `to`.
    const text = (await this.readBytes(p.offset[from]!, p.offset[to]!)).toString('utf8');
    const events: LoggedEvent[] = [];
    for (let start = 0; start < text.length; ) {
      const end = text.indexOf('\n', start);
      events.push(JSON.parse(text.slice(start, end)) as LoggedEvent);
      start = end + 1;
    }
    return events;
  }

  private find(id: string): Promise<LoggedEvent | undefined> {
    const [ms, seq] = splitEventId(id);
    return this.shared(async () => {
      const p = this.positions;
      const i = p.indexAfter(ms, seq - 1);
      if (i >= p.length || p.ms[i] !== ms || p.seq[i] !== seq) return undefined;
      return (await this.slice(i, 1))[0];
    });
  }

  private async readBytes(start: number, end: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(end - start);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await this.reader.read(buf, done, buf.length - done, start + done);
      if (bytesRead === 0) throw new EventLogCorruptError(`event log ${this.path} is shorter than its index`);
      done += bytesRead;
    }
    return buf;
  }

  private waitForAppend(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off('append', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.appended.on('append', done);
    });
  }

  private group(name: string): Group {
    const g = this.groups.get(name);
    if (g === undefined) throw new ConsumerGroupMissingError(`no consumer group ${name}: call ensureGroup first`);
    return g;
  }

  private async saveGroups(): Promise<void> {
    const doc = Object.fromEntries([...this.groups].map(([name, g]) => [name, { lastDelivered: g.lastDelivered, pending: [...g.pending] }]));
    const tmp = join(this.dir, 'groups.json.tmp');
    await writeFile(tmp, JSON.stringify(doc));
    await rename(tmp, join(this.dir, 'groups.json'));
  }
}
