// What the ad_request bench sends. Both arms get the same request bytes (the ceiling ignores them),
// so the only difference between arms is the server's work. The engine mix is 3 hits in 4:
// markets from the generated feed, mixed case, the key in the query or in x-api-key; and 1 miss in
// 4: well-formed markets absent from the feed, which are 404 no_ad by design.

import { countryCodes, langCodes, type FeedOptions } from './generate-feed.js';

export const BENCH_KEY = 'bench-game-key';
/** Beacon key of the bench's engines (outside embedded mode an engine needs one). */
export const BENCH_BEACON_KEYS = 'bench-beacon-key-0123456789abcdef0123456789';
export const BENCH_API_KEYS = `game:${BENCH_KEY},admin:bench-admin-key`;

export interface BenchRequest {
  path: string;
  headers?: Record<string, string>;
  /** GET when absent. */
  method?: 'GET' | 'POST';
  body?: string;
}

export function adRequestMix(feed: FeedOptions): { requests: BenchRequest[]; expected404: number } {
  const countries = countryCodes(feed.countries);
  const langs = langCodes(feed.langs);
  const requests: BenchRequest[] = [];
  const mixedCase = (s: string, i: number) => (i % 2 === 0 ? s.toUpperCase() : s[0]!.toUpperCase() + s.slice(1));
  for (let i = 0; i < 48; i++) {
    const country = countries[(i * 7) % countries.length]!;
    const lang = langs[(i * 3) % langs.length]!;
    const c = i % 3 === 0 ? mixedCase(country, i) : country;
    const l = i % 5 === 0 ? mixedCase(lang, i) : lang;
    if (i % 2 === 0) requests.push({ path: `/ad_request?country=${c}&lang=${l}&api_key=${BENCH_KEY}` });
    else requests.push({ path: `/ad_request?country=${c}&lang=${l}`, headers: { 'x-api-key': BENCH_KEY } });
  }
  // Misses: letters the generator never uses for codes at these sizes ('zz' + 'zzz' style).
  const misses: BenchRequest[] = [
    { path: `/ad_request?country=zz&lang=zzz&api_key=${BENCH_KEY}` },
    { path: '/ad_request?country=ZY&lang=zzy', headers: { 'x-api-key': BENCH_KEY } },
    { path: `/ad_request?country=zx&lang=ZZX&api_key=${BENCH_KEY}` },
    { path: '/ad_request?country=yz&lang=yzz', headers: { 'x-api-key': BENCH_KEY } },
  ];
  const mixed: BenchRequest[] = [];
  for (let i = 0; i < requests.length; i++) {
    mixed.push(requests[i]!);
    if (i % 3 === 2) mixed.push(misses[(i / 3) % misses.length | 0]!);
  }
  return { requests: mixed, expected404: 16 / mixed.length };
}
