// The one catalogue of client-visible errors. The key is the code that goes on the wire; every entry
// carries its HTTP status line and a default message. Bodies for the common case are serialised once
// here, so a route answers an error without building JSON at request time.
// test/engine/errors.test.ts keeps this table and the README's error table in step, both ways.

export const Errors = {
  bad_param: { status: '400 Bad Request', message: 'missing or malformed query parameter' },
  bad_body: { status: '400 Bad Request', message: 'the JSON body is malformed or a field is missing or invalid' },
  unauthorized: { status: '401 Unauthorized', message: 'missing or unknown API key' },
  forbidden: { status: '403 Forbidden', message: 'the API key lacks the scope this route needs' },
  not_found: { status: '404 Not Found', message: 'no such route' },
  no_ad: { status: '404 Not Found', message: 'no eligible ad for this country, language and hour' },
  unknown_game: { status: '404 Not Found', message: 'no game with this id' },
  not_reported: { status: '404 Not Found', message: 'this email has never been reported' },
  unknown_topic: { status: '404 Not Found', message: 'no topic with this id' },
  unknown_choice: { status: '404 Not Found', message: 'this topic has no choice with this id' },
  unknown_vote: { status: '404 Not Found', message: 'no vote with this id (receipts are kept for the newest VOTE_RECEIPTS votes)' },
  method_not_allowed: { status: '405 Method Not Allowed', message: 'method not allowed on this route' },
  duplicate_game: { status: '409 Conflict', message: 'a game with this name already exists' },
  topic_inactive: { status: '409 Conflict', message: 'this topic is not active: it takes no votes' },
  body_too_large: { status: '413 Content Too Large', message: 'the request body is over the size limit' },
  not_json: { status: '415 Unsupported Media Type', message: 'the body must be JSON (content-type: application/json)' },
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
// Internal errors: one class per failure with a stable `code`, never a bare Error('…').

export abstract class ArcadeError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration failed validation; `problems` lists every bad variable, one line each. */
export class ConfigError extends ArcadeError {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/** A feed document that is not usable at all (not JSON, wrong shape, or no valid row). */
export class FeedRejectedError extends ArcadeError {
  readonly code = 'FEED_REJECTED';
}

/** A feed could not be fetched (network, status, size cap, timeout). */
export class FeedFetchError extends ArcadeError {
  readonly code = 'FEED_FETCH_FAILED';
}

/** Snapshot bytes that do not decode into a valid snapshot of the expected kind. */
export class SnapshotCorruptError extends ArcadeError {
  readonly code = 'SNAPSHOT_CORRUPT';
}

/** A snapshot version that the store does not hold. */
export class SnapshotNotFoundError extends ArcadeError {
  readonly code = 'SNAPSHOT_NOT_FOUND';
}

/** put() of a version that already exists with different bytes: versions are immutable. */
export class SnapshotExistsError extends ArcadeError {
  readonly code = 'SNAPSHOT_EXISTS';
}
