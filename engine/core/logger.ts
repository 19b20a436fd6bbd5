// Structured logs: one JSON object per line on stdout, with a level threshold. Levels below the
// threshold are no-ops (pino's trick), so a debug call on a warm path costs one function call.
// Logs never carry secrets: callers pass fields, fields named like secrets are masked here, and a URL
// anywhere in a string (a feed URL with a token, a Redis URL with a password, an error message that
// quotes either) loses its password and its query values.

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

const SECRET_FIELD = /key|secret|token|password|authorization/i;
const noop: LogFn = () => {};

export function createLogger(
  level: LogLevel,
  bindings: LogFields = {},
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const threshold = logLevels.indexOf(level);
  const make = (l: LogLevel): LogFn =>
    logLevels.indexOf(l) < threshold
      ? noop
      : (msg, fields) => write(JSON.stringify({ time: new Date().toISOString(), level: l, msg: redactUrls(msg), ...bindings, ...mask(fields) }) + '\n');
  return {
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    child: (more) => createLogger(level, { ...bindings, ...more }, write),
  };
}

function mask(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined) return undefined;
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k) && !/^(api_?keys?_count|keys)$/i.test(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = { name: v.name, message: redactUrls(v.message), code: (v as { code?: unknown }).code };
    else if (typeof v === 'string') out[k] = redactUrls(v);
    else if (Array.isArray(v)) out[k] = v.map((x: unknown) => (typeof x === 'string' ? redactUrls(x) : x));
    else out[k] = v;
  }
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
