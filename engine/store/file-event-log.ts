// EventLog on local files (embedded mode): <dir>/events.jsonl, one JSON line per event, and
// <dir>/groups.json with each consumer group's position and pending events. Appends are group
// committed: the lines waiting when a write starts go out in one write and one fsync, and every
// append in the batch resolves after that fsync. The whole log is also kept in memory (embedded
// mode is one process on one machine), so reads never touch the disk.
// A torn last line (a crash mid-write) is dropped at open: its append never resolved.

import { EventEmitter } from 'node:events';
import { mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { START, compareEventIds, type EventLog, type LoggedEvent, type NewEvent, type ReadOptions } from './event-log.js';

interface Pending {
  consumer: string;
  deliveredAt: number;
}

interface Group {
  /** Last event handed out by readGroup. */
  lastDelivered: string;
  pending: Map<string, Pending>;
}

export class FileEventLog implements EventLog {
  readonly description: string;
  private readonly events: LoggedEvent[] = [];
  private readonly groups = new Map<string, Group>();
  private readonly appended = new EventEmitter();
  private queue: { line: string; event: LoggedEvent; done: (err?: Error) => void }[] = [];
  private writing: Promise<void> | null = null;
  private lastMs = 0;
  private lastSeq = -1;

  private constructor(
    private readonly dir: string,
    private file: FileHandle,
  ) {
    this.description = `file ${join(dir, 'events.jsonl')}`;
    this.appended.setMaxListeners(0);
  }

  static async open(dir: string): Promise<FileEventLog> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'events.jsonl');
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length !== text.length) await writeFile(path, complete);
    const log = new FileEventLog(dir, await open(path, 'a'));
    for (const line of complete.split('\n')) {
      if (line === '') continue;
      const e = JSON.parse(line) as LoggedEvent;
      log.events.push(e);
    }
    const last = log.events.at(-1);
    if (last !== undefined) [log.lastMs, log.lastSeq] = last.id.split('-').map(Number) as [number, number];
    const groups = await readFile(join(dir, 'groups.json'), 'utf8').catch(() => '{}');
    for (const [name, g] of Object.entries(JSON.parse(groups) as Record<string, { lastDelivered: string; pending: [string, Pending][] }>)) {
      log.groups.set(name, { lastDelivered: g.lastDelivered, pending: new Map(g.pending) });
    }
    return log;
  }

  append(event: NewEvent): Promise<string> {
    const id = this.nextId();
    const logged: LoggedEvent = { id, type: event.type, data: event.data };
    const line = JSON.stringify(logged) + '\n';
    return new Promise((resolve, reject) => {
      this.queue.push({ line, event: logged, done: (err) => (err ? reject(err) : resolve(id)) });
      this.writing ??= this.flush();
    });
  }

  async read(after: string, o: ReadOptions): Promise<LoggedEvent[]> {
    const found = this.after(after, o.count);
    if (found.length > 0 || !o.blockMs) return found;
    await this.waitForAppend(o.blockMs);
    return this.after(after, o.count);
  }

  async ensureGroup(group: string, after: string): Promise<void> {
    if (this.groups.has(group)) return;
    this.groups.set(group, { lastDelivered: after === '$' ? (this.events.at(-1)?.id ?? START) : after, pending: new Map() });
    await this.saveGroups();
  }

  async readGroup(group: string, consumer: string, o: ReadOptions): Promise<LoggedEvent[]> {
    const g = this.group(group);
    let found = this.after(g.lastDelivered, o.count);
    if (found.length === 0 && o.blockMs) {
      await this.waitForAppend(o.blockMs);
      found = this.after(g.lastDelivered, o.count);
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
      const event = this.find(id);
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

  async trim(minId: string): Promise<number> {
    await this.writing;
    const keepFrom = this.events.findIndex((e) => compareEventIds(e.id, minId) >= 0);
    const drop = keepFrom < 0 ? this.events.length : keepFrom;
    if (drop === 0) return 0;
    this.events.splice(0, drop);
    const tmp = join(this.dir, 'events.jsonl.tmp');
    await writeFile(tmp, this.events.map((e) => JSON.stringify(e) + '\n').join(''));
    // The append handle points at the old inode after the rename: reopen it.
    await this.file.close();
    await rename(tmp, join(this.dir, 'events.jsonl'));
    this.file = await open(join(this.dir, 'events.jsonl'), 'a');
    return drop;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.file.close();
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.file.write(batch.map((b) => b.line).join(''));
        await this.file.sync();
      } catch (err) {
        for (const b of batch) b.done(err as Error);
        continue;
      }
      for (const b of batch) this.events.push(b.event);
      this.appended.emit('append');
      for (const b of batch) b.done();
    }
    this.writing = null;
  }

  private nextId(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else {
      this.lastSeq++;
    }
    return `${this.lastMs}-${this.lastSeq}`;
  }

  /** Up to `count` events with ids greater than `after`, oldest first. */
  private after(after: string, count: number): LoggedEvent[] {
    const from = this.indexAfter(after);
    return this.events.slice(from, from + count);
  }

  private find(id: string): LoggedEvent | undefined {
    const e = this.events[this.indexAfter(id) - 1];
    return e?.id === id ? e : undefined;
  }

  /** Position of the first event with an id greater than `id` (binary search: ids increase). */
  private indexAfter(id: string): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareEventIds(this.events[mid]!.id, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
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
    if (g === undefined) throw new Error(`no consumer group ${name}: call ensureGroup first`);
    return g;
  }

  private async saveGroups(): Promise<void> {
    const doc = Object.fromEntries([...this.groups].map(([name, g]) => [name, { lastDelivered: g.lastDelivered, pending: [...g.pending] }]));
    const tmp = join(this.dir, 'groups.json.tmp');
    await writeFile(tmp, JSON.stringify(doc));
    await rename(tmp, join(this.dir, 'groups.json'));
  }
}
