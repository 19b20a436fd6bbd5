// Whether an Accept header asks GET /ad_request for VAST rather than JSON (README "GET /ad_request"):
// yes when its best quality for an XML type (application/xml or text/xml, the types VAST players
// send) beats its best quality for a range JSON matches (application/json, application/*, */*). A
// tie is JSON, so `*/*` or no header keeps JSON. Other +xml types (application/xhtml+xml, which
// browsers send) are not VAST and count for neither.
// On the request path (docs/conventions.md "Hot path"): a header without "xml" in it is answered by
// one indexOf, and the rest is read in place, without slicing or splitting it.

/** True when `accept` prefers an XML type to JSON. */
export function prefersXml(accept: string): boolean {
  if (!MENTIONS_XML.test(accept)) return false;
  let bestXml = 0;
  let bestJson = 0;
  const n = accept.length;
  let at = 0;
  while (at < n) {
    let end = accept.indexOf(',', at);
    if (end < 0) end = n;
    const start = skipSpace(accept, at, end);
    let typeEnd = accept.indexOf(';', start);
    if (typeEnd < 0 || typeEnd > end) typeEnd = end;
    typeEnd = trimEnd(accept, start, typeEnd);
    const kind = kindOf(accept, start, typeEnd);
    if (kind !== OTHER) {
      const q = quality(accept, typeEnd, end);
      if (kind === XML && q > bestXml) bestXml = q;
      else if (kind === JSON_RANGE && q > bestJson) bestJson = q;
    }
    at = end + 1;
  }
  return bestXml > bestJson;
}

const MENTIONS_XML = /xml/i;
const OTHER = 0;
const XML = 1;
const JSON_RANGE = 2;

/** What the media range s[start, end) is to us. */
function kindOf(s: string, start: number, end: number): number {
  if (is(s, start, end, '*/*') || is(s, start, end, 'application/*') || is(s, start, end, 'application/json')) return JSON_RANGE;
  return is(s, start, end, 'application/xml') || is(s, start, end, 'text/xml') ? XML : OTHER;
}

/**
 * The q parameter among s[from, end) (`;q=0.5`), 1 when there is none. A malformed q counts as 0:
 * the range is ignored rather than guessed at.
 */
function quality(s: string, from: number, end: number): number {
  let at = s.indexOf(';', from);
  while (at >= 0 && at < end) {
    const name = skipSpace(s, at + 1, end);
    const next = s.indexOf(';', name);
    const paramEnd = next < 0 || next > end ? end : next;
    if (name + 1 < paramEnd && (s.charCodeAt(name) | 0x20) === 0x71 && s.charCodeAt(name + 1) === 0x3d) {
      return qvalue(s, name + 2, trimEnd(s, name + 2, paramEnd));
    }
    at = next;
  }
  return 1;
}

/** RFC 9110's qvalue: `0` or `1`, then up to three decimals (`1` only with zeros); else 0. */
function qvalue(s: string, start: number, end: number): number {
  const first = s.charCodeAt(start) - 48;
  if (end <= start || (first !== 0 && first !== 1)) return 0;
  if (end === start + 1) return first;
  if (s.charCodeAt(start + 1) !== 0x2e || end - start > 5) return 0;
  let q = first;
  let scale = 0.1;
  for (let i = start + 2; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || (first === 1 && d !== 0)) return 0;
    q += d * scale;
    scale /= 10;
  }
  return q;
}

/** s[start, end) equals `lower` in any case (`lower` is lower-case ASCII). */
function is(s: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = s.charCodeAt(start + i);
    const folded = c >= 65 && c <= 90 ? c | 0x20 : c;
    if (folded !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function skipSpace(s: string, at: number, end: number): number {
  while (at < end && (s.charCodeAt(at) === 0x20 || s.charCodeAt(at) === 0x09)) at++;
  return at;
}

function trimEnd(s: string, start: number, end: number): number {
  while (end > start && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return end;
}
