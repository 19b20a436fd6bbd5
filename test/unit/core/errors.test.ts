// core/errors.ts polices itself. The catalogue: every client-visible code is in the README's error
// table with its status, the table names no code that does not exist, every body is the one error
// shape. The internal error classes, table-driven: every
// class in core/errors.ts has its class name as `name`, a stable UPPER_SNAKE code no other class
// has, a default message and an explicit one, and survives the trip over IPC or a worker thread:
// errorToWire → errorFromWire gives back an instance of the same class with the same code and message.

import { readFile } from 'node:fs/promises';
import t from 'tap';
import * as errors from '../../../core/errors.js';
import { ArcadeError, ConfigError, Errors, InputError, RemoteError, defaultErrorBodies, errorBody, errorCodes, errorFromWire, errorToWire } from '../../../core/errors.js';
import { packagePath } from '../../../core/runtime/package-root.js';

t.test('README error table and the catalogue agree, both ways', async (t) => {
  const readme = await readFile(packagePath('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Errors'), readme.indexOf('\n## ', readme.indexOf('## Errors') + 1));
  const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, m[2]!] as const);
  t.same(rows.map(([code]) => code).sort(), [...errorCodes].sort(), 'same codes');
  for (const [code, status] of rows) {
    t.equal(Errors[code as keyof typeof Errors].status.slice(0, 3), status, `${code} status`);
  }
});

t.test('every entry has a valid status line and a one-shape default body', async (t) => {
  for (const code of errorCodes) {
    t.match(Errors[code].status, /^[1-5]\d\d [A-Z][A-Za-z ]+$/, code);
    t.same(JSON.parse(defaultErrorBodies[code].toString()), { error: code, message: Errors[code].message });
  }
  t.same(JSON.parse(errorBody('bad_param', 'lang is missing').toString()), { error: 'bad_param', message: 'lang is missing' });
});

type AnyErrorClass = (new (...args: never[]) => ArcadeError) & { code: string; defaultMessage: string };

/**
 * Every class with a code of its own, and that code. Codes are what logs, metrics and the wire
 * carry: changing one here is a breaking change, not a refactor. A new class needs a row.
 */
const CODES: Record<string, string> = {
  ConfigError: 'CONFIG_INVALID',
  PackageRootNotFoundError: 'PACKAGE_ROOT_NOT_FOUND',
  PortUnavailableError: 'PORT_UNAVAILABLE',
  ScrapeTimeoutError: 'SCRAPE_TIMEOUT',
  FeedRejectedError: 'FEED_REJECTED',
  FeedFetchError: 'FEED_FETCH_FAILED',
  SnapshotCorruptError: 'SNAPSHOT_CORRUPT',
  InvalidStateError: 'STATE_INVALID',
  SnapshotNotFoundError: 'SNAPSHOT_NOT_FOUND',
  SnapshotExistsError: 'SNAPSHOT_EXISTS',
  BodyReadError: 'BODY_READ_FAILED',
  ReadOnlyStoreError: 'STORE_READ_ONLY',
  EventLogCorruptError: 'EVENT_LOG_CORRUPT',
  EventLogNotDurableError: 'EVENT_LOG_NOT_DURABLE',
  EventLogReplyError: 'EVENT_LOG_REPLY_INVALID',
  ConsumerGroupMissingError: 'CONSUMER_GROUP_MISSING',
  SubscriberMissingError: 'SUBSCRIBER_MISSING',
  ListenError: 'LISTEN_FAILED',
  OpenApiDocumentError: 'OPENAPI_DOCUMENT_INVALID',
  ServerProcessExitedError: 'SERVER_PROCESS_EXITED',
  ServerProcessNotStartedError: 'SERVER_PROCESS_NOT_STARTED',
  NoEventLogError: 'NO_EVENT_LOG',
  IndexBuilderExitedError: 'INDEX_BUILDER_EXITED',
  StreamSnapshotBehindError: 'STREAM_SNAPSHOT_BEHIND',
  NotLeaderError: 'NOT_LEADER',
  StoreNotConfiguredError: 'STORE_NOT_CONFIGURED',
};

/** Classes whose code is not their own: InputError takes the catalogue's, RemoteError the wire's. */
const CODE_FROM_ARGUMENT = ['InputError', 'RemoteError'];

const exported = Object.entries(errors as Record<string, unknown>).filter(
  (e): e is [string, AnyErrorClass] => typeof e[1] === 'function' && (e[1] as AnyErrorClass).prototype instanceof ArcadeError,
);
const classes = exported.filter(([name]) => !CODE_FROM_ARGUMENT.includes(name));

/** Builds an instance with the default message (no argument) or an explicit one. */
const make = (cls: AnyErrorClass, message?: string): ArcadeError =>
  cls === (ConfigError as unknown) ? new ConfigError(message === undefined ? [] : [message]) : new (cls as unknown as new (m?: string) => ArcadeError)(message);

t.test('every error class in core/errors.ts has a row, and every row a class', async (t) => {
  t.same(exported.map(([name]) => name).sort(), [...Object.keys(CODES), ...CODE_FROM_ARGUMENT].sort());
});

t.test('codes are UPPER_SNAKE, unique, and none is a catalogue code', async (t) => {
  const codes = Object.values(CODES);
  for (const code of codes) t.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, code);
  t.equal(new Set(codes).size, codes.length, 'no two classes share a code');
  t.same(codes.filter((c) => (errorCodes as string[]).includes(c)), [], 'the catalogue codes belong to InputError');
});

for (const [name, cls] of classes) {
  t.test(name, async (t) => {
    t.equal(cls.code, CODES[name], 'the class declares its stable code');

    const byDefault = make(cls);
    t.equal(byDefault.name, name, 'name is the class name');
    t.equal(byDefault.code, CODES[name], 'the instance carries the code');
    t.ok(byDefault instanceof ArcadeError, 'instanceof ArcadeError');
    t.ok(byDefault instanceof cls, `instanceof ${name}`);
    t.ok(byDefault instanceof Error, 'instanceof Error');
    t.equal(byDefault.message, cls.defaultMessage, 'default message');
    t.ok(cls.defaultMessage.length > 0, 'the default message says something');

    const explicit = make(cls, `${name} at the throw site`);
    t.equal(explicit.message, `${name} at the throw site`, 'explicit message');

    const wire = errorToWire(explicit);
    t.same(wire, { code: CODES[name], message: explicit.message }, 'on the wire: code and message');
    // The structured clone is what IPC (serialization: 'advanced') and postMessage apply.
    const back = errorFromWire(structuredClone(wire));
    t.ok(back instanceof cls, `rebuilt as ${name}`);
    t.equal(back.name, name);
    t.equal(back.code, CODES[name]);
    t.equal(back.message, explicit.message);
  });
}

t.test('ConfigError lists its problems and joins them into the message', async (t) => {
  const err = new ConfigError(['PORT must be 1..65535, got 0', 'LOG_LEVEL must be one of …']);
  t.equal(err.message, 'PORT must be 1..65535, got 0; LOG_LEVEL must be one of …');
  const back = errorFromWire(errorToWire(err));
  t.ok(back instanceof ConfigError);
  t.equal(back.message, err.message);
  t.same((back as ConfigError).problems, [err.message], 'the joined line comes back as one problem');
});

t.test('InputError: the catalogue code is its code, the catalogue message its default, for every code', async (t) => {
  for (const code of errorCodes) {
    const err = new InputError(code);
    t.equal(err.name, 'InputError');
    t.equal(err.code, code);
    t.equal(err.message, Errors[code].message);
    t.ok(err instanceof ArcadeError);
    const explicit = new InputError(code, `${code} named here`);
    t.equal(explicit.message, `${code} named here`);
    const back = errorFromWire(structuredClone(errorToWire(explicit)));
    t.ok(back instanceof InputError, `${code} rebuilt as InputError`);
    t.same([back.code, back.message], [code, explicit.message]);
  }
});

t.test('RemoteError: an unknown code comes back as a RemoteError keeping code and message', async (t) => {
  const unknown = errorFromWire({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:6379' });
  t.ok(unknown instanceof RemoteError);
  t.ok(unknown instanceof ArcadeError);
  t.match(unknown, { name: 'RemoteError', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:6379' });
  t.equal(new RemoteError('X').message, RemoteError.defaultMessage, 'default message');

  const back = errorFromWire(errorToWire(unknown));
  t.ok(back instanceof RemoteError, 'round-trips as itself');
  t.same([back.code, back.message], ['ECONNREFUSED', unknown.message]);
});

t.test('errorToWire takes any thrown value: a library error keeps its code; none gives ERROR', async (t) => {
  t.same(errorToWire(Object.assign(new Error('redis down'), { code: 'ECONNRESET' })), { code: 'ECONNRESET', message: 'redis down' });
  t.same(errorToWire(new TypeError('x is not a function')), { code: 'ERROR', message: 'x is not a function' });
  t.same(errorToWire('a string'), { code: 'ERROR', message: 'a string' });
  t.same(errorToWire(null), { code: 'ERROR', message: 'null' });
});
