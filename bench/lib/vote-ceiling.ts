// Reference servers for the POST /votes bench (bench/votes.ts), same process model as an
// ENGINE_WORKERS=1 engine: a bare uWS app answering POST with 202, in one of three modes.
//   static          reads the body, answers a fixed 202 body: the floor of a POST on this core.
//   xadd            reads the body, JSON.parse, XADDs a vote_cast-like entry (ioredis's defaults: one
//                   write per command) and answers {id,…} once Redis acknowledged it.
//   xadd-pipelined  the same with ioredis enableAutoPipelining (every XADD of one event-loop turn in
//                   one socket write), as the engine's shared connection is configured.
//   xadd-raw        the same XADD through a minimal RESP writer/reader on node:net (no ioredis): the
//                   XADDs of one event-loop turn in one write, replies matched in order. The floor of
//                   an acknowledged vote from Node on this core, one command per vote.
//   batched         JSON.parse, then the engine's own group commit (core/store/group-commit.ts) into
//                   the engine's RedisEventLog: the turn's votes as one EVALSHA. What the engine's
//                   write path costs without HTTP routing, auth, validation, metrics and the fold.
// No auth, no metrics, no fold wait. Usage: node vote-ceiling.js <port> <mode> [redis url].
// Prints "READY <port>" when listening; exits on SIGTERM.

import { Redis } from 'ioredis';
import { voteCast } from '../../core/domain/stream/events.js';
import { GroupCommit } from '../../core/store/group-commit.js';
import { RedisEventLog } from '../../core/store/redis-event-log.js';
import { connect, type Socket } from 'node:net';
import uWS from 'uWebSockets.js';

const STATUS_202 = Buffer.from('202 Accepted');
const CONTENT_TYPE = Buffer.from('content-type');
const JSON_TYPE = Buffer.from('application/json');
const STATIC_BODY = Buffer.from('{"id":"1764000000000-0","topic_id":1,"choice_id":1,"queued_at":"2026-11-23T16:00:00.000Z"}');
const STREAM = 'bench:ceiling';

const port = Number(process.argv[2] ?? 0);
const mode = process.argv[3] ?? 'static';
const url = new URL(process.argv[4] ?? 'redis://127.0.0.1:6379');

/** XADD <key> * type vote_cast data <json>: RESP out, one write per event-loop turn; bulk-string replies in order. */
class RawXadd {
  private readonly socket: Socket;
  private readonly waiting: ((err: Error | null, id: string) => void)[] = [];
  private head = 0;
  private out: string[] = [];
  private input = '';
  private readonly prefix = `*7\r\n$4\r\nXADD\r\n$${STREAM.length}\r\n${STREAM}\r\n$1\r\n*\r\n$4\r\ntype\r\n$9\r\nvote_cast\r\n$4\r\ndata\r\n`;

  constructor() {
    this.socket = connect(Number(url.port || 6379), url.hostname);
    this.socket.setNoDelay(true);
    this.socket.setEncoding('latin1');
    this.socket.on('data', (chunk: string) => this.read(chunk));
  }

  xadd(data: string): Promise<string> {
    if (this.out.length === 0) setImmediate(() => this.flush());
    this.out.push(`${this.prefix}$${Buffer.byteLength(data)}\r\n${data}\r\n`);
    return new Promise((resolve, reject) => this.waiting.push((err, id) => (err === null ? resolve(id) : reject(err))));
  }

  private flush(): void {
    const out = this.out.join('');
    this.out = [];
    this.socket.write(out);
  }

  private read(chunk: string): void {
    this.input = this.input === '' ? chunk : this.input + chunk;
    let at = 0;
    for (;;) {
      const eol = this.input.indexOf('\r\n', at);
      if (eol < 0) break;
      const kind = this.input[at];
      let err: Error | null = null;
      let id = '';
      let next = eol + 2;
      if (kind === '$') {
        const n = Number(this.input.slice(at + 1, eol));
        if (this.input.length < next + n + 2) break;
        id = this.input.slice(next, next + n);
        next += n + 2;
      } else {
        err = new Error(this.input.slice(at, eol));
      }
      at = next;
      const cb = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as never;
      if (this.head > 4096 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      cb(err, id);
    }
    this.input = this.input.slice(at);
  }
}

const redis =
  mode === 'static'
    ? null
    : mode === 'xadd-raw'
      ? new RawXadd()
      : new Redis(url.href, { enableAutoPipelining: mode === 'xadd-pipelined', enableOfflineQueue: false });
// The reference takes Redis's word (memory): the bench's stack decides how Redis keeps it.
const batched = mode === 'batched' && redis instanceof Redis ? new GroupCommit(new RedisEventLog(redis, redis, STREAM, { mode: 'memory', replicas: 1, waitMs: 1000 })) : null;

function append(data: { topic_id: number; choice_id: number; queued_at: number }): Promise<string> {
  if (batched !== null) return batched.append(voteCast(data));
  const json = JSON.stringify(data);
  return redis instanceof Redis ? redis.xadd(STREAM, '*', 'type', 'vote_cast', 'data', json).then((id) => id!) : redis!.xadd(json);
}

const app = uWS.App();
app.post('/*', (res) => {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  let chunks: Buffer[] | null = null;
  res.onData((chunk, isLast) => {
    if (redis === null) {
      if (isLast) res.writeStatus(STATUS_202).writeHeader(CONTENT_TYPE, JSON_TYPE).end(STATIC_BODY);
      return;
    }
    if (!isLast) {
      (chunks ??= []).push(Buffer.from(chunk.slice(0)));
      return;
    }
    const text = chunks === null ? Buffer.from(chunk).toString('utf8') : Buffer.concat([...chunks, Buffer.from(chunk)]).toString('utf8');
    const vote = JSON.parse(text) as { topic_id: number; choice_id: number };
    const queuedAt = Date.now();
    append({ topic_id: vote.topic_id, choice_id: vote.choice_id, queued_at: queuedAt }).then(
      (id) => {
        if (aborted) return;
        const body = JSON.stringify({ id, topic_id: vote.topic_id, choice_id: vote.choice_id, queued_at: new Date(queuedAt).toISOString() });
        res.cork(() => res.writeStatus(STATUS_202).writeHeader(CONTENT_TYPE, JSON_TYPE).end(body));
      },
      () => {
        if (!aborted) res.cork(() => res.writeStatus('503 Service Unavailable').end());
      },
    );
  });
});
app.listen('127.0.0.1', port, (token) => {
  if (token === false) {
    process.stderr.write(`vote-ceiling: cannot listen on ${port}\n`);
    process.exit(1);
  }
  process.stdout.write(`READY ${uWS.us_socket_local_port(token)}\n`);
  process.on('SIGTERM', () => {
    uWS.us_listen_socket_close(token);
    if (redis instanceof Redis) redis.disconnect();
    process.exit(0);
  });
});
