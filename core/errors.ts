// The one catalogue of client-visible errors. The key is the code that goes on the wire; every entry
// carries its HTTP status line and a default message. Bodies for the common case are serialised once
// here, so a route answers an error without building JSON at request time.
// test/unit/core/errors.test.ts keeps this table and the README's error table in step, both ways,
// and every internal error class below registered, coded and rebuilt after IPC.

export const Errors = {
  bad_param: { status: '400 Bad Request', message: 'missing or malformed query parameter' },
  bad_beacon: { status: '400 Bad Request', message: 'the tracking token is malformed or cut short' },
  bad_body: { status: '400 Bad Request', message: 'the JSON body is malformed or a field is missing or invalid' },
  bad_header: { status: '400 Bad Request', message: 'a request header is malformed' },
  unauthorized: { status: '401 Unauthorized', message: 'missing or unknown API key' },
  forbidden: { status: '403 Forbidden', message: 'the API key lacks the scope this route needs' },
  beacon_forged: { status: '403 Forbidden', message: 'the tracking token is not signed by this ad server' },
  not_found: { status: '404 Not Found', message: 'no such route' },
  no_ad: { status: '404 Not Found', message: 'no eligible ad for this country, language and hour' },
  unknown_game: { status: '404 Not Found', message: 'no game with this id' },
  not_reported: { status: '404 Not Found', message: 'this email has no report in force: never reported, or each report expired, was revoked or erased' },
  unknown_topic: { status: '404 Not Found', message: 'no topic with this id' },
  unknown_choice: { status: '404 Not Found', message: 'this topic has no choice with this id' },
  unknown_vote: { status: '404 Not Found', message: 'no vote with this id (receipts are kept for the newest VOTE_RECEIPTS votes)' },
  method_not_allowed: { status: '405 Method Not Allowed', message: 'method not allowed on this route' },
  duplicate_game: { status: '409 Conflict', message: 'a game with this name already exists' },
  topic_inactive: { status: '409 Conflict', message: 'this topic is not active: it takes no votes' },
  topic_closed: { status: '409 Conflict', message: 'this topic has ended (ends_at has passed): it takes no votes and its tallies are final' },
  already_voted: { status: '409 Conflict', message: 'this player has already voted on this topic (votes_per_player is "one"); the first vote stands' },
  votes_per_player_fixed: { status: '409 Conflict', message: 'votes_per_player is set when a topic is created and cannot change' },
  beacon_expired: { status: '410 Gone', message: 'the tracking token has expired: beacons are counted for BEACON_TTL_SECONDS after the decision' },
  body_too_large: { status: '413 Content Too Large', message: 'the request body is over the size limit' },
  not_json: { status: '415 Unsupported Media Type', message: 'the body must be JSON (content-type: application/json)' },
  idempotency_mismatch: { status: '422 Unprocessable Content', message: 'this Idempotency-Key was used in the last 24 hours with a different request' },
  rate_limited: { status: '429 Too Many Requests', message: 'this API key is over its request rate; retry after the Retry-After seconds' },
  not_ready: { status: '503 Service Unavailable', message: 'no index loaded yet; retry shortly' },
  store_unavailable: { status: '503 Service Unavailable', message: 'the event log is unavailable; nothing was recorded, retry shortly' },
} as const satisfies Record<string, { status: string; message: string }>;

export type ErrorCode = keyof typeof Errors;

export const errorCodes = Object.keys(Errors) as ErrorCode[];

/** `{"error":code,"message":message}` as bytes. Use for messages that name the bad input. */
export function errorBody(code: ErrorCode, message: string = Errors[code].message): Buffer {
  return Buffer.from(JSON.stringify({ error: code, message }));
}

/** Pre-serialised default bodies, one per code: the hot path writes these and allocates nothing. */
export const defaultErrorBodies: Readonly<Record<ErrorCode, Buffer>> = Object.freeze(
  Object.fromEntries(errorCodes.map((code) => [code, errorBody(code)])) as Record<ErrorCode, Buffer>,
);

// ---------------------------------------------------------------------------------------------------
// Internal errors: every error the programs throw is one of the classes below, one class per failure,
// never a bare Error('…'). Each has a stable `code` (UPPER_SNAKE; logs, metrics and the IPC wire
// carry it, so it is never renamed) and a default message; the throw site usually passes a message
// naming the value at fault. `name` is the class name, so a log line says which failure it was.
//
// Declaring a class's code registers it: `static readonly code = registered(this, 'CODE')`. An error
// that crosses a process or thread boundary travels as `errorToWire(err)` (code and message: the
// structured clone drops the class) and `errorFromWire` rebuilds it as an instance of its class from
// that registry, so callers on the other side test `instanceof`, not code strings.

/** An error as it crosses IPC or a worker thread: only these two fields survive the trip. */
export interface WireError {
  code: string;
  message: string;
}

/** Code → class: filled as the classes below are defined; read by errorFromWire. */
const registry = new Map<string, { fromWire(wire: WireError): ArcadeError }>();

/**
 * Registers `cls` as the class rebuilt for `code`, and returns the code (a class's `static code`).
 * test/unit/core/errors.test.ts checks that no two classes claim one code.
 */
function registered<const C extends string>(cls: { fromWire(wire: WireError): ArcadeError }, code: C): C {
  registry.set(code, cls);
  return code;
}

export abstract class ArcadeError extends Error {
  /** What a subclass declares: its stable code and the message used when the throw site gives none. */
  static readonly code: string;
  static readonly defaultMessage: string;

  readonly code: string;

  constructor(message?: string, options?: ErrorOptions) {
    const cls = new.target as unknown as { code: string; defaultMessage: string };
    super(message ?? cls.defaultMessage, options);
    this.name = new.target.name;
    this.code = cls.code;
  }

  /** Rebuilds an instance on this side of a boundary; a class whose constructor differs overrides it. */
  static fromWire(this: new (message?: string) => ArcadeError, wire: WireError): ArcadeError {
    return new this(wire.message);
  }
}

/** `err` as code and message, for a `failed` IPC message or a worker's reply. */
export function errorToWire(err: unknown): WireError {
  if (err instanceof ArcadeError) return { code: err.code, message: err.message };
  const e = err as { code?: unknown; message?: unknown } | null;
  return {
    code: typeof e?.code === 'string' ? e.code : 'ERROR',
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
}

/** The error `errorToWire` described, as an instance of its class; an unknown code gives a RemoteError. */
export function errorFromWire(wire: WireError): ArcadeError {
  return (registry.get(wire.code) ?? RemoteError).fromWire(wire);
}

// --- The error catalogue and the wire ----------------------------------------------------------------

/**
 * Input that breaks a rule of the API (a body field, a feed row, a body that is not JSON): `code` is
 * the catalogue's, so a route answers it as it is (400 bad_body, 413, 415) and a feed counts it.
 * Registered under every catalogue code.
 */
export class InputError extends ArcadeError {
  static {
    for (const code of errorCodes) registered(InputError, code);
  }

  constructor(
    override readonly code: ErrorCode,
    message?: string,
  ) {
    // Without a message of its own the answer says what the catalogue says for the code.
    super(message ?? Errors[code].message);
  }

  static override fromWire(wire: WireError): InputError {
    return new InputError(wire.code as ErrorCode, wire.message);
  }
}

/** Rebuilt from the wire when no class has the code (an error from a library, e.g. Redis's): code and message kept. */
export class RemoteError extends ArcadeError {
  static override readonly defaultMessage = 'an error on the other side of a process or thread boundary';

  constructor(
    override readonly code: string,
    message?: string,
  ) {
    super(message);
  }

  static override fromWire(wire: WireError): RemoteError {
    return new RemoteError(wire.code, wire.message);
  }
}

// --- Configuration and start-up (core/runtime) ---------------------------------------------------------

/** Configuration failed validation; `problems` lists every bad variable, one line each. */
export class ConfigError extends ArcadeError {
  static override readonly code = registered(this, 'CONFIG_INVALID');
  static override readonly defaultMessage = 'the configuration is invalid';

  constructor(readonly problems: readonly string[]) {
    super(problems.length > 0 ? problems.join('; ') : undefined);
  }

  /** One problem: the joined line it was sent as. */
  static override fromWire(wire: WireError): ConfigError {
    return new ConfigError([wire.message]);
  }
}

/** No package.json above the running module: the package root (for files it ships) cannot be found. */
export class PackageRootNotFoundError extends ArcadeError {
  static override readonly code = registered(this, 'PACKAGE_ROOT_NOT_FOUND');
  static override readonly defaultMessage = 'package.json not found above the running module';
}

/** The public port cannot be ours: another arcade-edge engine or another program has it, or the bind is refused. */
export class PortUnavailableError extends ArcadeError {
  static override readonly code = registered(this, 'PORT_UNAVAILABLE');
  static override readonly defaultMessage = 'the port cannot be bound';
}

/** A GET /metrics on the internal port whose collection did not finish within the scrape timeout. */
export class ScrapeTimeoutError extends ArcadeError {
  static override readonly code = registered(this, 'SCRAPE_TIMEOUT');
  static override readonly defaultMessage = 'scrape timed out';
}

// --- Feeds and snapshots (core/domain) ----------------------------------------------------------------

/** A feed document that is not usable at all (not JSON, wrong shape, or no valid row). */
export class FeedRejectedError extends ArcadeError {
  static override readonly code = registered(this, 'FEED_REJECTED');
  static override readonly defaultMessage = 'the feed is not usable';
}

/** A feed could not be fetched (network, status, size cap, timeout). */
export class FeedFetchError extends ArcadeError {
  static override readonly code = registered(this, 'FEED_FETCH_FAILED');
  static override readonly defaultMessage = 'the feed could not be fetched';
}

/** Snapshot bytes that do not decode into a valid snapshot of the expected kind. */
export class SnapshotCorruptError extends ArcadeError {
  static override readonly code = registered(this, 'SNAPSHOT_CORRUPT');
  static override readonly defaultMessage = 'the snapshot does not decode';
}

/** Stream state in a snapshot (games, players, topics, votes) that does not describe a valid index. */
export class InvalidStateError extends ArcadeError {
  static override readonly code = registered(this, 'STATE_INVALID');
  static override readonly defaultMessage = 'the state does not describe a valid index';
}

// --- Stores (core/store) ------------------------------------------------------------------------------

/** A snapshot version that the store does not hold. */
export class SnapshotNotFoundError extends ArcadeError {
  static override readonly code = registered(this, 'SNAPSHOT_NOT_FOUND');
  static override readonly defaultMessage = 'no such snapshot';
}

/** put() of a version that already exists with different bytes: versions are immutable. */
export class SnapshotExistsError extends ArcadeError {
  static override readonly code = registered(this, 'SNAPSHOT_EXISTS');
  static override readonly defaultMessage = 'the snapshot version already exists with other content';
}

/** An S3 object's body broke off mid-stream although the request itself succeeded. */
export class BodyReadError extends ArcadeError {
  static override readonly code = registered(this, 'BODY_READ_FAILED');
  static override readonly defaultMessage = 'the object body broke off';
}

/** A write to a store that only reads (the engine's read-through store: the syncer publishes). */
export class ReadOnlyStoreError extends ArcadeError {
  static override readonly code = registered(this, 'STORE_READ_ONLY');
  static override readonly defaultMessage = 'this store is read-only';
}

/** The file event log ends before an event its index points at: the file was cut or changed underneath. */
export class EventLogCorruptError extends ArcadeError {
  static override readonly code = registered(this, 'EVENT_LOG_CORRUPT');
  static override readonly defaultMessage = 'the event log is shorter than its index';
}

/** A read or ack for a consumer group that ensureGroup never created. */
export class ConsumerGroupMissingError extends ArcadeError {
  static override readonly code = registered(this, 'CONSUMER_GROUP_MISSING');
  static override readonly defaultMessage = 'no such consumer group: call ensureGroup first';
}

/** subscribe() on a notifier built for publishing only (no subscriber connection). */
export class SubscriberMissingError extends ArcadeError {
  static override readonly code = registered(this, 'SUBSCRIBER_MISSING');
  static override readonly defaultMessage = 'the notifier was built without a subscriber connection';
}

/** An event log write that the configured durability (EVENT_LOG_DURABILITY) cannot vouch for: refused, never acknowledged. */
export class EventLogNotDurableError extends ArcadeError {
  static override readonly code = registered(this, 'EVENT_LOG_NOT_DURABLE');
  static override readonly defaultMessage = 'the event log cannot make this write as durable as configured';
}

/** An event log batch answered with a different number of ids than it had events. */
export class EventLogReplyError extends ArcadeError {
  static override readonly code = registered(this, 'EVENT_LOG_REPLY_INVALID');
  static override readonly defaultMessage = 'the event log answered a batch with the wrong number of ids';
}

// --- Engine (engine/) ---------------------------------------------------------------------------------

/** uWS refused to listen on the public address (the port claim passed, the bind did not). */
export class ListenError extends ArcadeError {
  static override readonly code = registered(this, 'LISTEN_FAILED');
  static override readonly defaultMessage = 'cannot listen on the public address';
}

/** engine/openapi.json is missing, not JSON, or not an OpenAPI 3.1 document. */
export class OpenApiDocumentError extends ArcadeError {
  static override readonly code = registered(this, 'OPENAPI_DOCUMENT_INVALID');
  static override readonly defaultMessage = 'engine/openapi.json is not an OpenAPI 3.1 document';
}

/** An engine server process exited outside shutdown: while starting, or later (a crash, an OOM kill). */
export class ServerProcessExitedError extends ArcadeError {
  static override readonly code = registered(this, 'SERVER_PROCESS_EXITED');
  static override readonly defaultMessage = 'an engine server process exited';
}

/** A server process was sent work before its `start` message: a bug in the main process. */
export class ServerProcessNotStartedError extends ArcadeError {
  static override readonly code = registered(this, 'SERVER_PROCESS_NOT_STARTED');
  static override readonly defaultMessage = 'server process got a message before start';
}

/** A write reached a main process that has no event log to append it to. */
export class NoEventLogError extends ArcadeError {
  static override readonly code = registered(this, 'NO_EVENT_LOG');
  static override readonly defaultMessage = 'no event log';
}

/** The index builder's worker thread exited with builds pending (it is replaced on the next build). */
export class IndexBuilderExitedError extends ArcadeError {
  static override readonly code = registered(this, 'INDEX_BUILDER_EXITED');
  static override readonly defaultMessage = 'index builder thread exited';
}

/** A stream snapshot that is not ahead of the events a server already applied: loading it would go back. */
export class StreamSnapshotBehindError extends ArcadeError {
  static override readonly code = registered(this, 'STREAM_SNAPSHOT_BEHIND');
  static override readonly defaultMessage = 'the stream snapshot is not ahead of the events applied';
}

// --- Syncer (syncer/) ---------------------------------------------------------------------------------

/** This syncer does not hold the leader lock (any more): it must not publish. */
export class NotLeaderError extends ArcadeError {
  static override readonly code = registered(this, 'NOT_LEADER');
  static override readonly defaultMessage = 'this syncer does not hold the leader lock';
}

/** The syncer (daemon or rollback) has no store to publish to: neither S3_BUCKET nor REDIS_URL is set. */
export class StoreNotConfiguredError extends ArcadeError {
  static override readonly code = registered(this, 'STORE_NOT_CONFIGURED');
  static override readonly defaultMessage = 'the syncer needs S3_BUCKET or REDIS_URL';
}
