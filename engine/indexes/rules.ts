// The campaign rules of an index (README "Campaigns"), deduplicated: ads that share every campaign
// field share one rule, and an ad costs 4 bytes (its rule number), or nothing when no ad of the feed
// gives a campaign field. Rule 0 is the rule of a row that gives none: tier 0, not house, always on
// the air, every platform, no key-values, no cap.
// Flat typed arrays like the rest of the index (AdIndexParts), so they move between threads as
// they are. What varies with time (flight, weekdays and hours in a zone) is compiled into the
// index's plans (plan.ts); what varies with the request (platform, key-values, caps, the player's
// last ad) is checked on the ads a rotation offers, and only for rules that have one (`checks`).

import type { Ad } from '../../core/domain/ads/feed.js';
import { MAX_PRIORITY } from '../../core/domain/ads/campaign.js';

/** Bits of RuleParts.checks: what a request must be checked against before the ad is served. */
export const CHECK_PLATFORM = 1;
export const CHECK_KV = 2;
export const CHECK_CAP = 4;
/** A rotation-level bit (PlanParts.rotationChecks): a dense tier's ads are checked against the slot (plan.ts). */
export const CHECK_SLOT = 8;

export const EVERY_WEEKDAY = 0x7f;

export interface RuleParts {
  /** Rule per ordinal; null when every ad has rule 0. */
  ruleOf: Uint32Array | null;
  /** Per rule: the tier rank, higher first (paid tiers above every house tier; see tierRank). */
  rank: Int32Array;
  /** Per rule: index into `zones`; 0 is UTC. */
  zone: Uint16Array;
  weekdays: Uint8Array;
  /** Per rule: the flight, epoch ms; -Infinity and +Infinity when open. */
  flightStart: Float64Array;
  flightEnd: Float64Array;
  /** Per rule: bit p ⇔ campaign.ts's platforms[p]; 0 = every platform. */
  platforms: Uint16Array;
  /** Per rule: index into kvRules, -1 for none. */
  kv: Int32Array;
  /** Per rule: cap on views of the ad per player (count 0: none). */
  capCount: Uint16Array;
  capSeconds: Uint32Array;
  /** Per rule: index into campaigns, -1 for none. */
  campaign: Int32Array;
  /**
   * Campaign c's caps are campaignCapCount/Seconds[campaignCapStarts[c] .. campaignCapStarts[c + 1]):
   * every distinct cap any row of the campaign gives, each holding for all its ads.
   */
  campaignCapStarts: Uint32Array;
  campaignCapCount: Uint16Array;
  campaignCapSeconds: Uint32Array;
  /** The longest cap window of the feed, seconds: how long a view can matter. */
  longestCapSeconds: number;
  checks: Uint8Array;
  zones: string[];
  campaigns: string[];
  /** Each a JSON object, key → allowed values. */
  kvRules: string[];
}

/** Paid tiers rank above house tiers; within each, a higher priority ranks higher. */
export function tierRank(priority: number, house: boolean): number {
  return house ? priority : priority + MAX_PRIORITY + 1;
}

export function isHouseRank(rank: number): boolean {
  return rank <= MAX_PRIORITY;
}

export function priorityOfRank(rank: number): number {
  return isHouseRank(rank) ? rank : rank - MAX_PRIORITY - 1;
}

/** True when the row gives any campaign field. */
function hasCampaignFields(ad: Ad): boolean {
  return (
    ad.campaignId !== undefined ||
    ad.priority !== undefined ||
    ad.house !== undefined ||
    ad.startsAt !== undefined ||
    ad.endsAt !== undefined ||
    ad.weekdays !== undefined ||
    ad.timezone !== undefined ||
    ad.platforms !== undefined ||
    ad.kv !== undefined ||
    ad.frequencyCap !== undefined ||
    ad.campaignFrequencyCap !== undefined
  );
}

/** Builds the rule table of a feed. */
export function compileRules(ads: readonly Ad[]): RuleParts {
  const n = ads.length;
  const keys = new Map<string, number>([['', 0]]);
  const zones = new Map<string, number>([['UTC', 0]]);
  const campaigns = new Map<string, number>();
  const kvRules = new Map<string, number>();
  const rules: Ad[] = [ads[0]!]; // rule 0's fields are never read: it is the defaults
  let ruleOf: Uint32Array | null = null;
  for (let i = 0; i < n; i++) {
    const ad = ads[i]!;
    if (!hasCampaignFields(ad)) continue;
    const key = ruleKey(ad);
    let rule = keys.get(key);
    if (rule === undefined) {
      rule = rules.push(ad) - 1;
      keys.set(key, rule);
    }
    (ruleOf ??= new Uint32Array(n))[i] = rule;
  }
  const r = rules.length;
  const parts: RuleParts = {
    ruleOf,
    rank: new Int32Array(r),
    zone: new Uint16Array(r),
    weekdays: new Uint8Array(r),
    flightStart: new Float64Array(r),
    flightEnd: new Float64Array(r),
    platforms: new Uint16Array(r),
    kv: new Int32Array(r),
    capCount: new Uint16Array(r),
    capSeconds: new Uint32Array(r),
    campaign: new Int32Array(r),
    campaignCapStarts: new Uint32Array(1),
    campaignCapCount: new Uint16Array(0),
    campaignCapSeconds: new Uint32Array(0),
    longestCapSeconds: 0,
    checks: new Uint8Array(r),
    zones: [],
    campaigns: [],
    kvRules: [],
  };
  const campaignCaps: string[][] = [];
  const intern = (map: Map<string, number>, s: string): number => {
    let k = map.get(s);
    if (k === undefined) {
      k = map.size;
      map.set(s, k);
    }
    return k;
  };
  for (let k = 0; k < r; k++) {
    const ad = k === 0 ? null : rules[k]!;
    parts.rank[k] = tierRank(ad?.priority ?? 0, ad?.house === true);
    parts.zone[k] = ad?.timezone === undefined ? 0 : intern(zones, ad.timezone);
    parts.weekdays[k] = ad?.weekdays ?? EVERY_WEEKDAY;
    parts.flightStart[k] = ad?.startsAt ?? -Infinity;
    parts.flightEnd[k] = ad?.endsAt ?? Infinity;
    parts.platforms[k] = ad?.platforms ?? 0;
    parts.kv[k] = ad?.kv === undefined ? -1 : intern(kvRules, JSON.stringify(ad.kv));
    parts.capCount[k] = ad?.frequencyCap?.count ?? 0;
    parts.capSeconds[k] = ad?.frequencyCap?.seconds ?? 0;
    parts.campaign[k] = ad?.campaignId === undefined ? -1 : intern(campaigns, ad.campaignId);
    const cap = ad?.campaignFrequencyCap;
    if (cap !== undefined) {
      const c = parts.campaign[k]!;
      const key = `${cap.count}/${cap.seconds}`;
      const list = (campaignCaps[c] ??= []);
      if (!list.includes(key)) list.push(key);
    }
    parts.longestCapSeconds = Math.max(parts.longestCapSeconds, parts.capSeconds[k]!, cap?.seconds ?? 0);
  }
  // Campaign caps hold for every ad of the campaign, whichever row gave them.
  const starts = new Uint32Array(campaigns.size + 1);
  const counts: number[] = [];
  const seconds: number[] = [];
  for (let c = 0; c < campaigns.size; c++) {
    for (const key of campaignCaps[c] ?? []) {
      const [count, secs] = key.split('/').map(Number) as [number, number];
      counts.push(count);
      seconds.push(secs);
    }
    starts[c + 1] = counts.length;
  }
  parts.campaignCapStarts = starts;
  parts.campaignCapCount = Uint16Array.from(counts);
  parts.campaignCapSeconds = Uint32Array.from(seconds);
  for (let k = 0; k < r; k++) {
    const c = parts.campaign[k]!;
    const campaignCapped = c >= 0 && starts[c + 1]! > starts[c]!;
    parts.checks[k] =
      (parts.platforms[k] !== 0 ? CHECK_PLATFORM : 0) |
      (parts.kv[k]! >= 0 ? CHECK_KV : 0) |
      (parts.capCount[k] !== 0 || campaignCapped ? CHECK_CAP : 0);
  }
  parts.zones = [...zones.keys()];
  parts.campaigns = [...campaigns.keys()];
  parts.kvRules = [...kvRules.keys()];
  return parts;
}

/** Every campaign field of a row, as one string: equal strings, equal rules. */
function ruleKey(ad: Ad): string {
  const cap = ad.frequencyCap;
  const ccap = ad.campaignFrequencyCap;
  return [
    ad.priority ?? 0,
    ad.house === true ? 1 : 0,
    ad.timezone ?? 'UTC',
    ad.weekdays ?? EVERY_WEEKDAY,
    ad.startsAt ?? '',
    ad.endsAt ?? '',
    ad.platforms ?? 0,
    ad.kv === undefined ? '' : JSON.stringify(ad.kv),
    cap === undefined ? '' : `${cap.count}/${cap.seconds}`,
    ad.campaignId === undefined ? '' : JSON.stringify(ad.campaignId),
    ccap === undefined ? '' : `${ccap.count}/${ccap.seconds}`,
  ].join('|');
}

/** The typed arrays of a rule table, for a transfer list. */
export function ruleBuffers(p: RuleParts): ArrayBuffer[] {
  const arrays = [p.ruleOf, p.rank, p.zone, p.weekdays, p.flightStart, p.flightEnd, p.platforms, p.kv, p.capCount, p.capSeconds, p.campaign, p.campaignCapStarts, p.campaignCapCount, p.campaignCapSeconds, p.checks];
  return arrays.filter((a) => a !== null).map((a) => a!.buffer as ArrayBuffer);
}
