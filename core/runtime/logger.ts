// Structured logs on pino: one JSON object per line on stdout (`level` as its name, `time` in ISO
// 8601, `msg`, the bindings, the event's fields, in that order), with a level threshold. Levels
// below the threshold are no-ops decided once per logger, so a debug call on a warm path costs one
// function call.
// Logs never carry secrets: pino's redaction masks fields named like secrets (at the top and a few
// levels down), and a URL anywhere in a string (a feed URL with a token, a Redis URL with a
// password, an error message that quotes either) loses its password and its query values.
// Whatever a caller passes, the line stays whole: a field never replaces the line's own keys, and
// circular references and BigInt values print instead of throwing (README "Logs").

import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

export type LogFields = Record<string, unknown>;
type LogFn = (msg: string, fields?: LogFields) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: LogFields): Logger;
}

/**
 * Field names that hold a secret, matched exactly (a name is a secret, a name containing one is
 * not: `dev_keys: true` and `api_keys_count: 2` print as they are).
 */
const SECRET_NAMES = [
  'password', 'passwd', 'secret', 'token', 'authorization', 'Authorization', 'cookie', 'Cookie',
  'api_key', 'apiKey', 'x-api-key', 'access_token', 'accessToken', 'refresh_token', 'refreshToken',
  'client_secret', 'clientSecret', 'secret_access_key', 'secretAccessKey', 'session_token',
  'sessionToken', 'private_key', 'privateKey',
];
/** pino paths name each depth: `password`, `*.password`, `*.*.password`, … (`*` matches array indices too). */
const REDACT_DEPTH = 4;
const REDACT_PATHS = SECRET_NAMES.flatMap((name) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`;
  return Array.from({ length: REDACT_DEPTH }, (_, depth) => '*.'.repeat(depth) + key).map((p) => p.replace(/\.\[/g, '['));
});

/** Keys every line has before its bindings and fields. */
const LINE_KEYS = ['level', 'time', 'msg'];

/** One stdout destination for every logger of the process, opened by the first one that needs it. */
let stdout: DestinationStream | null = null;

export function createLogger(level: LogLevel, bindings: LogFields = {}, write?: (line: string) => void): Logger {
  // Synchronous writes to fd 1: the line logged just before process.exit() is on stdout when it exits.
  const destination = write === undefined ? (stdout ??= pino.destination({ dest: 1, sync: true })) : { write };
  const root = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Errors are already {name, message, code} (see clean()); pino's err serializer would add type and stack.
      serializers: { err: (err: unknown) => err },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
  const taken = new Set(LINE_KEYS);
  return wrap(root, claim(bindings, taken, 'bindings'), taken);
}

/**
 * Bindings go on each line as the first fields after `msg`, not through pino's child(), which
 * would print them before `msg`: a line reads `level`, `time`, `msg`, bindings, fields, the
 * layout README "Logs" documents (and what `grep '"msg":"engine listening".*"port"'` relies on).
 */
function wrap(p: PinoLogger, bindings: LogFields, taken: Set<string>): Logger {
  const make = (l: LogLevel): LogFn =>
    p.isLevelEnabled(l) ? (msg, fields) => p[l]({ msg: redactUrls(msg), ...bindings, ...(fields === undefined ? {} : claim(fields, taken, 'fields')) }) : noop;
  return {
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    child: (more) => {
      const childTaken = new Set(taken);
      return wrap(p, { ...bindings, ...claim(more, childTaken, 'bindings') }, childTaken);
    },
  };
}

const noop: LogFn = () => {};

/**
 * The fields (or bindings) as they go on the line: cleaned (see clean()), and a name the line
 * already has (`time`, `level`, `msg`, a binding) gets a `field_` prefix, so `{level: 'x'}` prints
 * as `"field_level":"x"` beside the line's own level. Bindings stay on every later line: their
 * names are added to `taken`.
 */
function claim(fields: LogFields, taken: Set<string>, kind: 'fields' | 'bindings'): LogFields {
  const out: LogFields = {};
  const isTaken = (key: string) => Object.hasOwn(out, key) || taken.has(key);
  for (const [k, v] of Object.entries(fields)) {
    let key = k;
    while (isTaken(key)) key = `field_${key}`;
    out[key] = clean(v, []);
  }
  if (kind === 'bindings') for (const key of Object.keys(out)) taken.add(key);
  return out;
}

/**
 * A copy safe to print: strings lose URL secrets, BigInt becomes its decimal string (JSON has no
 * BigInt and a number would lose digits), an Error is {name, message, code} (its stack is for
 * uncaught exceptions only, passed as a field of its own), a reference back to an enclosing object
 * is '[Circular]', and a value with toJSON (Date, URL, Buffer) is cleaned as what it would print as.
 */
function clean(value: unknown, ancestors: object[]): unknown {
  if (typeof value === 'string') return redactUrls(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.includes(value)) return '[Circular]';
  if (value instanceof Error) {
    return { name: value.name, message: redactUrls(value.message), code: clean((value as { code?: unknown }).code, ancestors) };
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return clean(toJSON.call(value), ancestors);
  ancestors.push(value);
  let out: unknown;
  if (Array.isArray(value)) out = value.map((v: unknown) => clean(v, ancestors));
  else {
    const obj: LogFields = {};
    for (const [k, v] of Object.entries(value)) obj[k] = clean(v, ancestors);
    out = obj;
  }
  ancestors.pop();
  return out;
}

/**
 * `scheme://user:pass@host/p?token=x` → `scheme://user:[redacted]@host/p?token=[redacted]`. A URL
 * ends at whitespace, a quote or an angle bracket, so the text that quotes it (`got '…'`) stays whole.
 */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@'"`<>]*@)?([^\s?#'"`<>]*)(\?[^\s#'"`<>]*)?/gi;

export function redactUrls(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (_all, scheme: string, userinfo: string | undefined, rest: string, query: string | undefined) => {
    const user = userinfo === undefined ? '' : userinfo.includes(':') ? `${userinfo.slice(0, userinfo.indexOf(':'))}:[redacted]@` : '[redacted]@';
    const q = query === undefined ? '' : query.replace(/=([^&]*)/g, '=[redacted]');
    return `${scheme}${user}${rest}${q}`;
  });
}
