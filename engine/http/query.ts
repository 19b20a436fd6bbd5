// Query-string reading for the hot path. uWS's getQuery(name) decodes leniently (a malformed "%zz"
// comes back as garbage, not an error) and cannot tell a repeated parameter from a single one, so we
// take the raw query once and scan it ourselves: no URLSearchParams, no per-request objects
// (docs/conventions.md "Hot path").
//
// A QueryReader is created once per route with the names that route accepts; its `values` slots are
// refilled by every read(). Sound because handlers run synchronously on one thread: nothing else can
// read() between a route's read() and its use of `values`. Unknown names are ignored (cache busters).
//
// A route may also take a family of parameters by prefix (`kv.<key>` on GET /ad_request): their
// keys and values are collected in order, each key at most once, up to a count.
//
// A `+` is a space (HTML form encoding), except in a parameter declared `literalPlus`: there it is a
// plus, for values that may hold a `+` but never a space (an email such as a+b@example.com, which
// clients put in a URL unencoded).

import { errorBody } from '../../core/errors.js';

export const MAX_QUERY_LENGTH = 2048;

/** What was wrong with a parameter. 0 = nothing. */
export const enum QueryProblem {
  None = 0,
  Missing,
  Empty,
  Repeated,
  TooLong,
  NotAscii,
  BadEncoding,
  QueryTooLong,
}

export const problemText: Readonly<Record<QueryProblem, string>> = {
  [QueryProblem.None]: 'ok',
  [QueryProblem.Missing]: 'is missing',
  [QueryProblem.Empty]: 'is empty',
  [QueryProblem.Repeated]: 'is given more than once',
  [QueryProblem.TooLong]: 'is too long',
  [QueryProblem.NotAscii]: 'must be printable ASCII',
  [QueryProblem.BadEncoding]: 'is badly percent-encoded',
  [QueryProblem.QueryTooLong]: `query string is longer than ${MAX_QUERY_LENGTH} bytes`,
};

export interface ParamSpec {
  readonly name: string;
  readonly maxLength: number;
  /** `+` is a plus, not a space (`%20` is still a space). */
  readonly literalPlus?: boolean;
}

/** A family of parameters named `<prefix><key>`; `name` is how error messages call them (`kv.<key>`). */
export interface PrefixSpec {
  readonly prefix: string;
  readonly name: string;
  /** What a key after the prefix must look like, as a pattern and in words. */
  readonly key: RegExp;
  readonly keyText: string;
  readonly maxLength: number;
  readonly maxCount: number;
}

export const enum PrefixProblem {
  BadKey = 100,
  TooMany,
}

export class QueryReader {
  /** Decoded value per spec, in spec order; undefined when absent. Valid until the next read(). */
  readonly values: (string | undefined)[];
  problem: QueryProblem = QueryProblem.None;
  /** Index into specs of the parameter with the problem (-1 for the whole query). */
  problemParam = -1;
  /** literalPlus per spec, as one array of booleans: the same shape for every spec. */
  private readonly literalPlus: boolean[];
  /** The prefixed parameters of the last read(), in query order (keys without the prefix). */
  readonly prefixedKeys: string[] = [];
  readonly prefixedValues: string[] = [];

  /** With `prefixed`, its parameters' problems are reported at problemParam === specs.length. */
  constructor(
    readonly specs: readonly ParamSpec[],
    readonly prefixed: PrefixSpec | null = null,
  ) {
    const all = prefixed === null ? specs : [...specs, { name: prefixed.name, maxLength: prefixed.maxLength }];
    this.values = new Array(all.length).fill(undefined);
    this.literalPlus = all.map((s) => (s as ParamSpec).literalPlus === true);
    this.limits = all.map((s) => s.maxLength);
  }

  private readonly limits: number[];

  /** Scans a raw query string. Returns false with problem/problemParam set on the first bad parameter. */
  read(raw: string): boolean {
    const values = this.values;
    for (let i = 0; i < values.length; i++) values[i] = undefined;
    if (this.prefixedKeys.length > 0) {
      this.prefixedKeys.length = 0;
      this.prefixedValues.length = 0;
    }
    this.problem = QueryProblem.None;
    this.problemParam = -1;
    const n = raw.length;
    if (n > MAX_QUERY_LENGTH) return this.fail(QueryProblem.QueryTooLong, -1);

    // Natively, with indexOf, not char by char in JS (a JS loop costs ~2 ns a character, indexOf a
    // fraction of that): each segment's end ('&'), its key's end ('='), and whether its value holds an
    // escape ('%', '+'). Each position is searched again only once the scan has passed it, so the
    // whole read stays linear in the query's length. One regex over the whole query clears every value
    // of bytes outside printable ASCII in the usual case; otherwise each value of ours is checked.
    const printable = !NOT_PRINTABLE.test(raw);
    let nextEq = -1;
    let nextPct = -1;
    let nextPlus = -1;
    let i = 0;
    while (i < n) {
      let end = raw.indexOf('&', i);
      if (end === -1) end = n;
      if (nextEq < i) nextEq = indexOrEnd(raw, '=', i);
      const keyEnd = Math.min(nextEq, end);
      let slot = this.slotOf(raw, i, keyEnd);
      const keyStart = i;
      i = end + 1;
      let key: string | null = null;
      if (slot < 0) {
        const prefixed = this.prefixed;
        // Not ours: skip the value without looking at it.
        if (prefixed === null || !raw.startsWith(prefixed.prefix, keyStart)) continue;
        slot = this.specs.length;
        key = raw.slice(keyStart + prefixed.prefix.length, keyEnd);
        if (!prefixed.key.test(key)) return this.fail(PrefixProblem.BadKey as number as QueryProblem, slot);
        if (this.prefixedKeys.includes(key)) return this.fail(QueryProblem.Repeated, slot);
        if (this.prefixedKeys.length === prefixed.maxCount) return this.fail(PrefixProblem.TooMany as number as QueryProblem, slot);
        values[slot] = undefined;
      }
      if (values[slot] !== undefined) return this.fail(QueryProblem.Repeated, slot);
      const valueStart = keyEnd < end ? keyEnd + 1 : end;
      if (!printable && !isPrintable(raw, valueStart, end)) return this.fail(QueryProblem.NotAscii, slot);
      if (nextPct < valueStart) nextPct = indexOrEnd(raw, '%', valueStart);
      if (nextPlus < valueStart) nextPlus = indexOrEnd(raw, '+', valueStart);
      const problem = this.take(raw, valueStart, end, slot, nextPct, nextPlus);
      if (problem !== QueryProblem.None) return this.fail(problem, slot);
      if (key !== null) {
        this.prefixedKeys.push(key);
        this.prefixedValues.push(values[slot]!);
      }
    }
    return true;
  }

  private slotOf(raw: string, from: number, to: number): number {
    const specs = this.specs;
    const length = to - from;
    const first = raw.charCodeAt(from);
    for (let s = 0; s < specs.length; s++) {
      const name = specs[s]!.name;
      if (name.length === length && name.charCodeAt(0) === first && raw.startsWith(name, from)) return s;
    }
    return -1;
  }

  /** `pct` and `plus`: the first '%' and '+' at or after `from` (the query's length when none). */
  private take(raw: string, from: number, to: number, slot: number, pct: number, plus: number): QueryProblem {
    const maxLength = this.limits[slot]!;
    const plusIsSpace = !this.literalPlus[slot];
    if (!plusIsSpace) plus = raw.length; // no '+' to decode: it stays as it is
    if (to === from) return QueryProblem.Empty;
    if (pct >= to && plus >= to) {
      if (to - from > maxLength) return QueryProblem.TooLong;
      this.values[slot] = raw.slice(from, to);
      return QueryProblem.None;
    }
    if (to - from > maxLength * 3) return QueryProblem.TooLong; // even fully %-encoded it cannot fit
    let decoded = decodePrintable(raw, from, to, pct, plus);
    if (decoded === null) {
      decoded = decodeComponent(raw.slice(from, to), plusIsSpace);
      if (decoded === null) return QueryProblem.BadEncoding;
      for (let k = 0; k < decoded.length; k++) {
        const c = decoded.charCodeAt(k);
        if (c < 0x20 || c > 0x7e) return QueryProblem.NotAscii;
      }
    }
    if (decoded.length === 0) return QueryProblem.Empty;
    if (decoded.length > maxLength) return QueryProblem.TooLong;
    this.values[slot] = decoded;
    return QueryProblem.None;
  }

  private fail(problem: QueryProblem, param: number): false {
    this.problem = problem;
    this.problemParam = param;
    return false;
  }
}

/**
 * The common case of decodeComponent, without its two native calls (a regex replace and
 * decodeURIComponent measured ~270 ns together, the largest cost of a /blacklist/check whose email
 * arrives as `name%40host`): `+` and escapes of printable ASCII (%20–%7E). Null for anything else
 * (other escapes, malformed ones), which decodeComponent then settles exactly as before. The caller
 * has checked that the raw value is printable ASCII, so what this returns is too.
 */
function decodePrintable(raw: string, from: number, to: number, pct: number, plus: number): string | null {
  let out = '';
  let start = from;
  for (;;) {
    if (plus < pct && plus < to) {
      out += raw.slice(start, plus) + ' ';
      start = plus + 1;
      plus = indexOrEnd(raw, '+', start);
    } else if (pct < to) {
      if (pct + 2 >= to) return null;
      const hi = hexDigit(raw.charCodeAt(pct + 1));
      const lo = hexDigit(raw.charCodeAt(pct + 2));
      if (hi < 0 || lo < 0) return null;
      const byte = hi * 16 + lo;
      if (byte < 0x20 || byte > 0x7e) return null;
      out += raw.slice(start, pct) + ASCII[byte]!;
      start = pct + 3;
      pct = indexOrEnd(raw, '%', start);
    } else {
      return out + raw.slice(start, to);
    }
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

/** One-character strings by code, so a decoded escape allocates nothing. */
const ASCII = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));

/** Anything outside printable ASCII (0x21-0x7e): space and controls, DEL, every non-ASCII character. */
const NOT_PRINTABLE = /[^\x21-\x7e]/;

function isPrintable(raw: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = raw.charCodeAt(k);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** raw.indexOf(ch, from), or raw.length when absent: "none" sorts after every position. */
function indexOrEnd(raw: string, ch: string, from: number): number {
  const at = raw.indexOf(ch, from);
  return at === -1 ? raw.length : at;
}

/**
 * application/x-www-form-urlencoded value decoding (`+` a space unless `plusIsSpace` is false); null
 * when a %-escape or the UTF-8 is malformed.
 */
function decodeComponent(value: string, plusIsSpace: boolean): string | null {
  try {
    return decodeURIComponent(plusIsSpace ? value.replace(/\+/g, ' ') : value);
  } catch {
    return null;
  }
}

/** Every (parameter, problem) 400 body, serialised once. */
export function badParamBodies(query: QueryReader): (param: number, problem: QueryProblem) => Buffer {
  const problems = Object.keys(problemText).map(Number) as QueryProblem[];
  const table = query.specs.map((spec) =>
    problems.map((p) => errorBody('bad_param', `${spec.name} ${problemText[p]}`)),
  );
  const prefixed = query.prefixed;
  if (prefixed !== null) {
    const bodies = problems.map((p) => errorBody('bad_param', `each ${prefixed.name} ${problemText[p]}`));
    bodies[PrefixProblem.BadKey] = errorBody('bad_param', `${prefixed.name}: the key must be ${prefixed.keyText}`);
    bodies[PrefixProblem.TooMany] = errorBody('bad_param', `at most ${prefixed.maxCount} ${prefixed.name} parameters`);
    table.push(bodies);
  }
  const wholeQuery = problems.map((p) => errorBody('bad_param', problemText[p]));
  return (param, problem) => (param < 0 ? wholeQuery[problem]! : table[param]![problem]!);
}
