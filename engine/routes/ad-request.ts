// GET /ad_request?country=us&lang=eng[&player_id=…][&format=json|vast][&platform=…][&kv.<key>=…]
// [&count=1..5][&explain=true] — the hot path
// (docs/architecture.md "A request's path"). Synchronous from first line to last: read the query and
// headers, check the key, pick the market's next ad in the current index, count the decision, write
// pre-serialised bytes: the JSON body, or the VAST document joined from the ad's pieces and this
// decision's id and tracking tokens (engine/indexes/vast.ts). No await, so no onAborted or cork is
// needed, and no per-request object is built for one JSON ad (docs/conventions.md "Hot path"): the
// query reader, the audience, the VAST writer and error bodies are made once, here. `count` joins
// its ads' bodies in one buffer; `explain` (admin keys) builds its answer for people. Signing a
// VAST decision makes its token strings (core/domain/beacons/token.ts).

import { admit } from '../http/admit.js';
import { errorBody } from '../../core/errors.js';
import { rawQuery } from '../../core/runtime/uws.js';
import { Audience } from '../decision/audience.js';
import { platforms } from '../../core/domain/ads/campaign.js';
import { countryCode, countryOf, langCode, langOf, marketKey } from '../decision/market.js';
import { explain } from '../decision/explain.js';
import type { HttpResponse } from 'uWebSockets.js';
import { QueryProblem, QueryReader, badParamBodies, type ParamSpec, type PrefixSpec } from '../http/query.js';
import { sendError, sendOk, sendOkXml, type Handler } from '../../core/runtime/respond.js';
import { prefersXml } from '../http/accept.js';
import { NO_AD_VAST, VastWriter } from '../indexes/vast.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';

const COUNTRY = 0;
const LANG = 1;
const PLAYER = 2;
const API_KEY = 3;
const FORMAT = 4;
const PLATFORM = 5;
const COUNT = 6;
const EXPLAIN = 7;
export const MAX_COUNT = 5;
const ROUTE = routeIndex.ad_request;
const S200 = statusIndex['200'];
const S400 = statusIndex['400'];
const S404 = statusIndex['404'];
const S503 = statusIndex['503'];

/** The parameters GET /ad_request reads, in the order of their slots above. */
export const AD_REQUEST_PARAMS: readonly ParamSpec[] = [
  // Generous caps: a wrong-length code gets the message that says what a code looks like.
  { name: 'country', maxLength: 32 },
  { name: 'lang', maxLength: 32 },
  { name: 'player_id', maxLength: 128 },
  { name: 'api_key', maxLength: 256 },
  { name: 'format', maxLength: 16 },
  { name: 'platform', maxLength: 16 },
  { name: 'count', maxLength: 8 },
  { name: 'explain', maxLength: 8 },
];
/** `kv.<key>=<value>`: what the game says about the moment (level, mode, …), matched against rows' kv. */
export const AD_REQUEST_KV: PrefixSpec = {
  prefix: 'kv.',
  name: 'kv.<key>',
  key: /^[a-z0-9_]{1,32}$/,
  keyText: '1 to 32 lower-case letters, digits or _',
  maxLength: 64,
  maxCount: 16,
};
export const BAD_COUNTRY = errorBody('bad_param', 'country must be a 2-letter ISO 3166-1 alpha-2 code, e.g. "us"');
export const BAD_LANG = errorBody('bad_param', 'lang must be a 3-letter ISO 639-2 code, e.g. "eng"');
export const BAD_FORMAT = errorBody('bad_param', 'format must be json or vast');
export const BAD_PLATFORM = errorBody('bad_param', `platform must be one of ${platforms.join(', ')}`);
export const BAD_COUNT = errorBody('bad_param', `count must be an integer from 1 to ${MAX_COUNT}`);
export const BAD_EXPLAIN = errorBody('bad_param', 'explain must be true or false');
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');
const COUNTS = ['1', '2', '3', '4', '5'];
const ACCEPT = Buffer.from('accept');

/** The GET /ad_request handler, built once per app. */
export function adRequest(deps: RouteDeps): Handler {
  const { holder, memory, views, clock, metrics, state, tracking } = deps;
  const { signer, decisions } = tracking;
  const query = new QueryReader(AD_REQUEST_PARAMS, AD_REQUEST_KV);
  const audience = new Audience(memory, views);
  const pod = Array.from({ length: MAX_COUNT + 1 }, (_, n) => new Int32Array(n));
  const badParam = badParamBodies(query);
  const vast = new VastWriter();

  return (res, req) => {
    const startedAt = performance.now();
    const close = state.draining;
    if (!query.read(rawQuery(req))) {
      sendError(res, 'bad_param', close, badParam(query.problemParam, query.problem));
      return metrics.record(ROUTE, S400, startedAt);
    }
    const values = query.values;
    const explaining = values[EXPLAIN] !== undefined && values[EXPLAIN] !== 'false';
    // Explaining shows every ad's rules: admin keys only.
    if (!admit(deps, res, req, values[API_KEY], explaining ? 'admin' : 'game', ROUTE, startedAt, close)) return;
    if (explaining && values[EXPLAIN] !== 'true') {
      sendError(res, 'bad_param', close, BAD_EXPLAIN);
      return metrics.record(ROUTE, S400, startedAt);
    }
    const countryRaw = values[COUNTRY];
    const langRaw = values[LANG];
    if (countryRaw === undefined || langRaw === undefined) {
      sendError(res, 'bad_param', close, badParam(countryRaw === undefined ? COUNTRY : LANG, QueryProblem.Missing));
      return metrics.record(ROUTE, S400, startedAt);
    }
    const country = countryCode(countryRaw);
    const lang = langCode(langRaw);
    if (country < 0 || lang < 0) {
      sendError(res, 'bad_param', close, country < 0 ? BAD_COUNTRY : BAD_LANG);
      return metrics.record(ROUTE, S400, startedAt);
    }
    // VAST when asked by name, or by an Accept header that prefers XML (read only without format).
    const format = values[FORMAT];
    const xml = format === undefined ? prefersXml(req.getHeader(ACCEPT)) : format === 'vast';
    if (format !== undefined && !xml && format !== 'json') {
      sendError(res, 'bad_param', close, BAD_FORMAT);
      return metrics.record(ROUTE, S400, startedAt);
    }
    const index = holder.ads;
    if (index === null) {
      sendError(res, 'not_ready', close);
      return metrics.record(ROUTE, S503, startedAt);
    }
    const now = clock.now();
    audience.reset(values[PLAYER] ?? null, now);
    const platform = values[PLATFORM];
    if (platform !== undefined) {
      const bit = platforms.indexOf(platform as (typeof platforms)[number]);
      if (bit < 0) {
        sendError(res, 'bad_param', close, BAD_PLATFORM);
        return metrics.record(ROUTE, S400, startedAt);
      }
      audience.platform = 1 << bit;
    }
    const kvKeys = query.prefixedKeys;
    for (let i = 0; i < kvKeys.length; i++) audience.addKv(kvKeys[i]!, query.prefixedValues[i]!);
    const market = marketKey(country, lang);
    const countRaw = values[COUNT];
    if (countRaw !== undefined || explaining) {
      const count = countRaw === undefined ? 1 : COUNTS.indexOf(countRaw) + 1;
      if (count === 0) {
        sendError(res, 'bad_param', close, BAD_COUNT);
        return metrics.record(ROUTE, S400, startedAt);
      }
      if (explaining) {
        const kv = query.prefixedKeys.map((k, i): [string, string] => [k, query.prefixedValues[i]!]);
        sendOk(res, JSON.stringify(explain(index, market, now, audience, { country: countryOf(country), lang: langOf(lang), kv })), close);
        return metrics.record(ROUTE, S200, startedAt);
      }
      const ordinals = pod[count]!;
      const n = index.pickMany(market, now, audience, ordinals);
      if (n === 0) return noFill(res, xml, close, startedAt);
      if (xml) {
        vast.begin();
        for (let i = 0; i < n; i++) {
          decisions.served(index, ordinals[i]!, market, now);
          signer.sign(index.idAt(ordinals[i]!), country, lang, now);
          vast.add(index, ordinals[i]!, tracking.beaconUrlPrefix, signer.decisionId, signer.tokens, i + 1);
        }
        sendOkXml(res, vast.finish(), close);
      } else {
        const parts: Buffer[] = [OPEN];
        for (let i = 0; i < n; i++) {
          decisions.served(index, ordinals[i]!, market, now);
          if (i > 0) parts.push(COMMA);
          parts.push(index.body(ordinals[i]!));
        }
        parts.push(CLOSE);
        sendOk(res, Buffer.concat(parts), close);
      }
      return metrics.record(ROUTE, S200, startedAt);
    }
    const ordinal = index.pick(market, now, audience);
    if (ordinal < 0) return noFill(res, xml, close, startedAt);
    decisions.served(index, ordinal, market, now);
    if (xml) {
      signer.sign(index.idAt(ordinal), country, lang, now);
      sendOkXml(res, vast.write(index, ordinal, tracking.beaconUrlPrefix, signer.decisionId, signer.tokens), close);
    } else {
      sendOk(res, index.body(ordinal), close);
    }
    metrics.record(ROUTE, S200, startedAt);
  };

  function noFill(res: HttpResponse, xml: boolean, close: boolean, startedAt: number): void {
    // No fill: players expect an empty VAST, not an error.
    if (xml) {
      sendOkXml(res, NO_AD_VAST, close);
      metrics.record(ROUTE, S200, startedAt);
    } else {
      sendError(res, 'no_ad', close);
      metrics.record(ROUTE, S404, startedAt);
    }
  }
}
