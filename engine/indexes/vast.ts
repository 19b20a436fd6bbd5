// VAST 4.2 answers of GET /ad_request (README "GET /ad_request"): one InLine ad with one linear
// creative, from the same decision as the JSON answer, or an ad pod of several (count), each Ad
// with its `sequence`. A document is the fixed text below with
// three kinds of holes, each filled as early as it is known (docs/conventions.md "Hot path"):
//   - per ad, at compile time: the id, title, video URL, the media piece (Duration and the
//     MediaFile's attributes) and the ClickThrough element, XML-escaped once into the index's slab
//     (AdIndex.vastRanges says where; an id or URL with nothing to escape is not copied at all: its
//     bytes are read from the ad's JSON body);
//   - per server: the beacon URL prefix, escaped once when it changes (it is set after listen);
//   - per decision: the decision id (AdServingId) and the eight tracking tokens.
// A request copies the pieces into one reused buffer (VastWriter): no string is built for it.
//
// Element order is the sequence of the IAB's VAST 4.2 XML schema, which is stricter than the
// spec's examples: in InLine, AdSystem, Error, Impression, AdServingId, AdTitle, Creatives; in
// Linear, TrackingEvents, Duration, MediaFiles, VideoClicks; in VideoClicks, ClickTracking before
// ClickThrough. test/fixtures/vast-4-inline.xsd holds the part of that schema we emit, and the
// tests validate every document against it. No CDATA: values are escaped text, so a value holding
// `]]>` needs nothing special, and characters XML 1.0 cannot carry (controls other than tab, LF and
// CR; lone surrogates; U+FFFE, U+FFFF) become U+FFFD.

import { readFileSync } from 'node:fs';
import { packagePath } from '../../core/runtime/package-root.js';
import { type Ad, creativeDefaults, defaultMime } from '../../core/domain/ads/feed.js';

/** The empty VAST a player expects when there is no ad (VAST 4.2, "No Ad Response"). */
export const NO_AD_VAST = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><VAST version="4.2"/>');

const AD_SYSTEM_VERSION = escapeXml((JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version);
/** The `id` of our Impression and ClickTracking elements: whose tracking they are. */
const OURS = 'arcade-edge';

/**
 * The fixed text between the holes, in document order. Between each piece and the next the writer
 * puts the hole named in the comment; "prefix+token k" is a tracking URL (beaconKinds' index k).
 */
const HEAD = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><VAST version="4.2">');
const TAIL = Buffer.from('</VAST>');
/** In a pod, between an Ad's id and the rest of its opening tag. */
const SEQUENCE = Buffer.from('" sequence="');
const TEMPLATE = [
  '<Ad id="', // id (and, in a pod, the sequence attribute)
  `"><InLine><AdSystem version="${AD_SYSTEM_VERSION}">arcade-edge</AdSystem><Error>`, // prefix+token 7 (error)
  `?code=[ERRORCODE]</Error><Impression id="${OURS}">`, // prefix+token 0 (impression)
  '</Impression><AdServingId>', // decision id
  '</AdServingId><AdTitle>', // title
  '</AdTitle><Creatives><Creative id="', // id
  '" adId="', // id
  '"><UniversalAdId idRegistry="unknown">', // id
  '</UniversalAdId><Linear><TrackingEvents><Tracking event="start">', // prefix+token 1
  '</Tracking><Tracking event="firstQuartile">', // prefix+token 2
  '</Tracking><Tracking event="midpoint">', // prefix+token 3
  '</Tracking><Tracking event="thirdQuartile">', // prefix+token 4
  '</Tracking><Tracking event="complete">', // prefix+token 5
  '</Tracking></TrackingEvents><Duration>', // media piece
  '>', // video URL
  `</MediaFile></MediaFiles><VideoClicks><ClickTracking id="${OURS}">`, // prefix+token 6 (click)
  '</ClickTracking>', // ClickThrough element, or nothing
  '</VideoClicks></Linear></Creative></Creatives></InLine></Ad>',
].map((text) => Buffer.from(text));
const FIXED_BYTES = TEMPLATE.reduce((n, b) => n + b.length, 0) + SEQUENCE.length + 1;

/** Which token each tracking hole takes, in document order: error, impression, start … complete, click. */
const TOKEN_ORDER = [7, 0, 1, 2, 3, 4, 5, 6];

/** An ad's VAST pieces, in this order: id, title, video URL, media piece, ClickThrough. */
export const VAST_FIELDS = 5;
export const F_ID = 0;
export const F_TITLE = 1;
export const F_URL = 2;
export const F_MEDIA = 3;
export const F_CLICK = 4;
/** Where the pieces are in the slab: field f's [start, end) at 2f and 2f + 1 (VastSource.vastRanges). */
export const VAST_RANGES = 2 * VAST_FIELDS;
export const R_ID = 2 * F_ID;
export const R_TITLE = 2 * F_TITLE;
export const R_URL = 2 * F_URL;
export const R_MEDIA = 2 * F_MEDIA;
export const R_CLICK = 2 * F_CLICK;

/** What the writer reads: the index's slab and where an ad's pieces are in it (AdIndex). */
export interface VastSource {
  readonly slabBytes: Buffer;
  vastRanges(ordinal: number, out: Uint32Array): void;
}

/**
 * Writes one VAST document per call into a buffer it keeps (one per server: handlers run one at a
 * time). The answer is a view of that buffer, valid until the next write(): uWS copies it at end().
 * A pod is begun, given its ads one by one (each signed in turn), and finished.
 */
export class VastWriter {
  private out = Buffer.allocUnsafeSlow(8192);
  private prefix: string | null = null;
  private prefixBytes = Buffer.alloc(0);
  private readonly ranges = new Uint32Array(VAST_RANGES);

  /**
   * The document for ad `ordinal` of `source`: tracking URLs are `prefix` + a token (`tokens`, by
   * beaconKinds' index), AdServingId is `decisionId`.
   */
  write(source: VastSource, ordinal: number, prefix: string, decisionId: string, tokens: readonly string[]): Buffer {
    this.begin();
    this.add(source, ordinal, prefix, decisionId, tokens, 0);
    return this.finish();
  }

  private at = 0;

  /** Starts a document (VAST's opening tag). */
  begin(): void {
    this.at = put(this.out, 0, HEAD);
  }

  /** The closing tag; the document, valid until the next begin(). */
  finish(): Buffer {
    this.at = put(this.out, this.at, TAIL);
    return this.out.subarray(0, this.at);
  }

  /** One Ad of the document; `sequence` its place in a pod (1, 2, …), 0 for a lone ad. */
  add(source: VastSource, ordinal: number, prefix: string, decisionId: string, tokens: readonly string[], sequence: number): void {
    if (prefix !== this.prefix) {
      this.prefix = prefix;
      this.prefixBytes = Buffer.from(escapeXml(prefix));
    }
    const r = this.ranges;
    source.vastRanges(ordinal, r);
    const slab = source.slabBytes;
    const prefixBytes = this.prefixBytes;
    // Tokens and the decision id are base64url (and one '.'): one byte a character, nothing to escape.
    let need = FIXED_BYTES + TOKEN_ORDER.length * prefixBytes.length + decisionId.length;
    for (let k = 0; k < tokens.length; k++) need += tokens[k]!.length;
    need += 4 * (r[R_ID + 1]! - r[R_ID]!) + (r[R_TITLE + 1]! - r[R_TITLE]!) + (r[R_URL + 1]! - r[R_URL]!);
    need += r[R_MEDIA + 1]! - r[R_MEDIA]! + (r[R_CLICK + 1]! - r[R_CLICK]!);
    need += this.at + HEAD.length + TAIL.length;
    if (need > this.out.length) {
      const bigger = Buffer.allocUnsafeSlow(2 * need);
      this.out.copy(bigger, 0, 0, this.at);
      this.out = bigger;
    }
    const out = this.out;
    const t = TEMPLATE;
    let at = put(out, this.at, t[0]!);
    at = copy(slab, r[R_ID]!, r[R_ID + 1]!, out, at);
    if (sequence > 0) {
      at = put(out, at, SEQUENCE);
      out[at++] = 0x30 + sequence; // 1 to 9
    }
    at = put(out, at, t[1]!);
    at = put(out, at, prefixBytes);
    at += out.write(tokens[TOKEN_ORDER[0]!]!, at, 'latin1');
    at = put(out, at, t[2]!);
    at = put(out, at, prefixBytes);
    at += out.write(tokens[TOKEN_ORDER[1]!]!, at, 'latin1');
    at = put(out, at, t[3]!);
    at += out.write(decisionId, at, 'latin1');
    at = put(out, at, t[4]!);
    at = copy(slab, r[R_TITLE]!, r[R_TITLE + 1]!, out, at);
    at = put(out, at, t[5]!);
    at = copy(slab, r[R_ID]!, r[R_ID + 1]!, out, at);
    at = put(out, at, t[6]!);
    at = copy(slab, r[R_ID]!, r[R_ID + 1]!, out, at);
    at = put(out, at, t[7]!);
    at = copy(slab, r[R_ID]!, r[R_ID + 1]!, out, at);
    // The five TrackingEvents: start … complete.
    for (let e = 0; e < 5; e++) {
      at = put(out, at, t[8 + e]!);
      at = put(out, at, prefixBytes);
      at += out.write(tokens[TOKEN_ORDER[2 + e]!]!, at, 'latin1');
    }
    at = put(out, at, t[13]!);
    at = copy(slab, r[R_MEDIA]!, r[R_MEDIA + 1]!, out, at);
    at = put(out, at, t[14]!);
    at = copy(slab, r[R_URL]!, r[R_URL + 1]!, out, at);
    at = put(out, at, t[15]!);
    at = put(out, at, prefixBytes);
    at += out.write(tokens[TOKEN_ORDER[7]!]!, at, 'latin1');
    at = put(out, at, t[16]!);
    at = copy(slab, r[R_CLICK]!, r[R_CLICK + 1]!, out, at);
    at = put(out, at, t[17]!);
    this.at = at;
  }
}

function put(out: Buffer, at: number, bytes: Buffer): number {
  out.set(bytes, at);
  return at + bytes.length;
}

function copy(from: Buffer, start: number, end: number, out: Buffer, at: number): number {
  return at + from.copy(out, at, start, end);
}

/**
 * The media piece of an ad: its Duration's text through the MediaFile's attributes (the writer puts
 * the '>' and the URL). Ads with the same creative fields share one piece in the slab.
 */
export function mediaPiece(ad: Ad): string {
  const bitrate = ad.bitrate === undefined ? '' : ` bitrate="${ad.bitrate}"`;
  return (
    formatDuration(ad.duration ?? creativeDefaults.duration) +
    '</Duration><MediaFiles><MediaFile delivery="progressive" type="' +
    escapeXml(ad.mime ?? defaultMime(ad.videoUrl)) +
    `" width="${ad.width ?? creativeDefaults.width}" height="${ad.height ?? creativeDefaults.height}"${bitrate}`
  );
}

/** True when the ad gives no creative field that mediaPiece reads: its piece depends on its video URL's type only. */
export function hasDefaultMedia(ad: Ad): boolean {
  return ad.duration === undefined && ad.mime === undefined && ad.width === undefined && ad.height === undefined && ad.bitrate === undefined;
}

/** The ClickThrough element for a click-through URL. */
export function clickThroughPiece(clickUrl: string): string {
  return `<ClickThrough id="${OURS}">${escapeXml(clickUrl)}</ClickThrough>`;
}

/** VAST's Duration (an xs:time): HH:MM:SS, and .mmm when the seconds have a fraction. */
export function formatDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const whole = Math.floor(ms / 1000);
  const hms = `${two(Math.floor(whole / 3600))}:${two(Math.floor(whole / 60) % 60)}:${two(whole % 60)}`;
  const fraction = ms % 1000;
  return fraction === 0 ? hms : `${hms}.${String(fraction).padStart(3, '0')}`;
}

const two = (n: number): string => (n < 10 ? '0' + n : String(n));

/**
 * Strings that go into XML as they are: printable ASCII but `"`, `&`, `'`, `<`, `>` (and `\`, so
 * that such a string is also one JSON writes verbatim: see AdIndex.compileParts).
 */
export const XML_PLAIN = /^[\x20\x21\x23-\x25\x28-\x3b\x3d\x3f-\x5b\x5d-\x7e]*$/;

/**
 * Text safe in XML 1.0 content and in a double- or single-quoted attribute: the five special
 * characters as entities; tab, LF and CR as character references (a parser would otherwise turn
 * them into spaces in an attribute, and CR into LF anywhere); characters XML 1.0 does not allow
 * (other C0 controls, lone surrogates, U+FFFE, U+FFFF) as U+FFFD. Compile time only.
 */
export function escapeXml(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | null = null;
    if (c < 0x20) rep = c === 0x09 ? '&#9;' : c === 0x0a ? '&#10;' : c === 0x0d ? '&#13;' : '\ufffd';
    else if (c === 0x26) rep = '&amp;';
    else if (c === 0x3c) rep = '&lt;';
    else if (c === 0x3e) rep = '&gt;';
    else if (c === 0x22) rep = '&quot;';
    else if (c === 0x27) rep = '&apos;';
    else if (c === 0xfffe || c === 0xffff) rep = '\ufffd';
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair: keep both halves
        continue;
      }
      rep = '\ufffd';
    }
    if (rep === null) continue;
    out += s.slice(from, i) + rep;
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}
