// Deterministic synthetic campaign feeds for benches: N ads over C countries × L languages, from a
// seed, so every run (and every machine) drives the same index. Every market gets at least one
// all-day ad, so a "hit" request is a 200 at any UTC hour; the rest mix normal, wrap-around,
// end-of-day (end 0) and all-day windows, and a tenth carry a weight. With `campaigns`, every ad
// but the markets' guaranteed ones also carries campaign fields as a large ad server's feed would
// (README "Campaigns"): 20 ads a campaign, priority tiers, 2 % house ads, flights of days to weeks
// around CAMPAIGN_EPOCH, dayparts in a dozen time zones (India's half hour among them), weekdays,
// platforms, key-values and frequency caps.
// CLI: node dist/bench/generate-feed.js --ads 100000 --out feed.json

import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface FeedOptions {
  ads: number;
  countries: number;
  langs: number;
  seed: number;
  /** Campaign fields on every ad but the markets' guaranteed all-day one. */
  campaigns?: boolean;
}

/** The instant campaign flights are spread around (the compile bench compiles plans at it). */
export const CAMPAIGN_EPOCH = Date.UTC(2026, 11, 1, 12);
const ZONES = ['UTC', 'Europe/Paris', 'Europe/London', 'America/New_York', 'America/Los_Angeles', 'America/Sao_Paulo', 'Asia/Tokyo', 'Asia/Kolkata', 'Asia/Shanghai', 'Australia/Sydney', 'Africa/Lagos', 'Europe/Berlin'];
const PLATFORMS = ['ios', 'android', 'windows', 'macos', 'linux', 'switch', 'playstation', 'xbox', 'web'];

export interface FeedRow {
  id: string;
  video_url: string;
  country: string;
  lang: string;
  start_hour: number;
  end_hour: number;
  weight?: number;
  [campaignField: string]: unknown;
}

export const defaultFeedOptions: FeedOptions = { ads: 10_000, countries: 50, langs: 20, seed: 42 };

/** mulberry32: tiny, fast, good enough to spread bench data; not for anything secret. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const letters = 'abcdefghijklmnopqrstuvwxyz';
/** The i-th code of `length` letters, 'us' and 'eng' first so the README's curl is a hit. */
function code(i: number, length: number, first: string): string {
  if (i === 0) return first;
  let s = '';
  for (let k = 0, n = i; k < length; k++, n = Math.floor(n / 26)) s = letters[n % 26] + s;
  return s === first ? letters.slice(0, length) : s;
}

export const countryCodes = (n: number): string[] => Array.from({ length: n }, (_, i) => code(i, 2, 'us'));
export const langCodes = (n: number): string[] => Array.from({ length: n }, (_, i) => code(i, 3, 'eng'));

export function generateFeed(o: FeedOptions = defaultFeedOptions): { ads: FeedRow[] } {
  const random = prng(o.seed);
  const countries = countryCodes(o.countries);
  const langs = langCodes(o.langs);
  const markets = countries.length * langs.length;
  const ads: FeedRow[] = new Array(o.ads);
  for (let i = 0; i < o.ads; i++) {
    const market = i % markets;
    const country = countries[market % countries.length]!;
    const lang = langs[Math.floor(market / countries.length)]!;
    let start: number;
    let end: number;
    if (i < markets) {
      start = end = Math.floor(random() * 24); // the market's guaranteed all-day ad
    } else {
      const kind = random();
      start = Math.floor(random() * 24);
      if (kind < 0.2) end = start; // all day
      else if (kind < 0.3) end = 0; // until midnight
      else end = Math.floor(random() * 24); // normal or wrap-around
    }
    const id = `ad-${i.toString(36).padStart(6, '0')}`;
    const row: FeedRow = { id, video_url: `https://cdn.example.com/v/${id}.mp4`, country, lang, start_hour: start, end_hour: end };
    if (random() < 0.1) row.weight = 1 + Math.floor(random() * 5);
    if (o.campaigns === true && i >= markets) addCampaignFields(row, i, random);
    ads[i] = row;
  }
  return { ads };
}

const DAY = 86_400_000;

/** What a campaign manager's row says, drawn from `random`; the campaign's fields follow from its number. */
function addCampaignFields(row: FeedRow, i: number, random: () => number): void {
  const campaign = Math.floor(i / 20);
  row.campaign_id = `c-${campaign}`;
  // Campaign-level choices from the campaign number, so a campaign's rows agree as managers' do.
  const c = (campaign * 2654435761) >>> 0;
  const pick = (k: number, n: number) => Math.floor(c / k) % n;
  if (pick(1, 50) === 0) row.house = true;
  const priority = [0, 0, 0, 1, 2, 5][pick(7, 6)]!;
  if (priority !== 0) row.priority = priority;
  if (pick(11, 2) === 0) {
    const start = CAMPAIGN_EPOCH - 12 * 3_600_000 + (pick(13, 60) - 30) * DAY;
    row.starts_at = new Date(start).toISOString();
    row.ends_at = new Date(start + (3 + pick(17, 40)) * DAY).toISOString();
  }
  const zone = pick(19, 30);
  if (zone < ZONES.length) row.timezone = ZONES[zone];
  const days = pick(23, 10);
  if (days === 0) row.weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'];
  else if (days === 1) row.weekdays = ['sat', 'sun'];
  if (pick(29, 10) < 3) row.campaign_frequency_cap = { count: 3 + pick(31, 5), seconds: 3600 * (1 + pick(37, 24)) };
  // Row-level choices.
  if (random() < 0.3) {
    const n = 1 + Math.floor(random() * 3);
    row.platforms = [...new Set(Array.from({ length: n }, () => PLATFORMS[Math.floor(random() * PLATFORMS.length)]!))];
  }
  if (random() < 0.1) row.kv = { level: [String(1 + Math.floor(random() * 5)), String(6 + Math.floor(random() * 5))] };
  if (random() < 0.3) row.frequency_cap = { count: 1 + Math.floor(random() * 5), seconds: 600 * (1 + Math.floor(random() * 12)) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string, fallback: number) => {
    const at = process.argv.indexOf(`--${name}`);
    return at === -1 ? fallback : Number(process.argv[at + 1]);
  };
  const out = process.argv[process.argv.indexOf('--out') + 1];
  const feed = generateFeed({
    ads: arg('ads', defaultFeedOptions.ads),
    countries: arg('countries', defaultFeedOptions.countries),
    langs: arg('langs', defaultFeedOptions.langs),
    seed: arg('seed', defaultFeedOptions.seed),
    campaigns: process.argv.includes('--campaigns'),
  });
  const text = JSON.stringify(feed);
  if (process.argv.includes('--out') && out !== undefined) writeFileSync(out, text);
  else process.stdout.write(text);
}
