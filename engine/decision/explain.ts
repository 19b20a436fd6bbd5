// GET /ad_request?explain=true (admin keys): why each ad of the market is or is not eligible for
// this request now (README "Campaigns"). Read from the index's rules, not from its plans, and with
// Intl for local time: this is the slow path for people, and requests that do not ask never come
// here. It picks nothing and records no view: asking does not change what players get.

import { isLiveAt } from './hours.js';
import { offsetMinutes } from './zones.js';
import { platforms, weekdayNames, writePlatforms, writeWeekdays } from '../../core/domain/ads/campaign.js';
import { isHouseRank, priorityOfRank, EVERY_WEEKDAY } from '../indexes/rules.js';
import type { AdIndex } from '../indexes/ad-index.js';
import type { Audience } from './audience.js';

/** Why an ad is not served: a closed set, in the order the checks run. */
export type Reason = 'flight_not_started' | 'flight_ended' | 'weekday' | 'hours' | 'platform' | 'kv' | 'ad_cap' | 'campaign_cap' | 'outranked';

export interface Candidate {
  id: string;
  priority: number;
  house: boolean;
  campaign_id: string | null;
  /** On the air, and the request may be shown it: the ad's own rules all pass. */
  eligible: boolean;
  /** In the tier a request would be answered from now. */
  in_winning_tier: boolean;
  /** Every rule that keeps it out, and `outranked` for an eligible ad of a lower tier. */
  reasons: Reason[];
  /** The ad's time in its zone now, as its hours and weekdays are read: `mon 14:05 Europe/Paris`. */
  local_time: string;
  rules: Record<string, unknown>;
}

export interface Explanation {
  at: string;
  country: string;
  lang: string;
  platform: string | null;
  kv: Record<string, string>;
  player_id: string | null;
  candidates: Candidate[];
}

export function explain(
  index: AdIndex,
  market: number,
  now: number,
  audience: Audience,
  request: { country: string; lang: string; kv: [string, string][] },
): Explanation {
  const r = index.rules;
  const candidates: Candidate[] = [];
  /** Each candidate's tier rank, to find the winning tier once every one is judged. */
  const ranks: number[] = [];
  let bestRank = Number.NEGATIVE_INFINITY;
  for (const ordinal of index.marketAds(market)) {
    const rule = index.ruleAt(ordinal);
    const id = index.idAt(ordinal);
    const zone = r.zones[r.zone[rule]!]!;
    const local = new Date(now + offsetMinutes(zone, now) * 60_000);
    const weekday = local.getUTCDay();
    const hour = local.getUTCHours();
    const [start, end] = index.windowOf(ordinal);
    const reasons: Reason[] = [];
    if (now < r.flightStart[rule]!) reasons.push('flight_not_started');
    if (now >= r.flightEnd[rule]!) reasons.push('flight_ended');
    if ((r.weekdays[rule]! & (1 << weekday)) === 0) reasons.push('weekday');
    if (!isLiveAt(start, end, hour)) reasons.push('hours');
    const match = index.matches(ordinal, audience);
    if (!match.platform) reasons.push('platform');
    if (!match.kv) reasons.push('kv');
    if (audience.adCapped(r, id, rule)) reasons.push('ad_cap');
    if (audience.campaignCapped(r, rule)) reasons.push('campaign_cap');
    const c = r.campaign[rule]!;
    const rank = r.rank[rule]!;
    if (reasons.length === 0) bestRank = Math.max(bestRank, rank);
    const rules: Record<string, unknown> = { start_hour: start, end_hour: end, timezone: zone };
    if (r.flightStart[rule] !== Number.NEGATIVE_INFINITY) rules.starts_at = new Date(r.flightStart[rule]!).toISOString();
    if (r.flightEnd[rule] !== Number.POSITIVE_INFINITY) rules.ends_at = new Date(r.flightEnd[rule]!).toISOString();
    if (r.weekdays[rule] !== EVERY_WEEKDAY) rules.weekdays = writeWeekdays(r.weekdays[rule]!);
    if (r.platforms[rule] !== 0) rules.platforms = writePlatforms(r.platforms[rule]!);
    if (r.kv[rule]! >= 0) rules.kv = JSON.parse(r.kvRules[r.kv[rule]!]!);
    if (r.capCount[rule]! > 0) rules.frequency_cap = { count: r.capCount[rule], seconds: r.capSeconds[rule] };
    if (c >= 0 && r.campaignCapStarts[c + 1]! > r.campaignCapStarts[c]!) {
      rules.campaign_frequency_caps = [];
      for (let k = r.campaignCapStarts[c]!; k < r.campaignCapStarts[c + 1]!; k++) {
        (rules.campaign_frequency_caps as unknown[]).push({ count: r.campaignCapCount[k], seconds: r.campaignCapSeconds[k] });
      }
    }
    const hh = String(hour).padStart(2, '0');
    const mm = String(local.getUTCMinutes()).padStart(2, '0');
    candidates.push({
      id,
      priority: priorityOfRank(rank),
      house: isHouseRank(rank),
      campaign_id: c < 0 ? null : r.campaigns[c]!,
      eligible: reasons.length === 0,
      in_winning_tier: false,
      reasons,
      local_time: `${weekdayNames[weekday]} ${hh}:${mm} ${zone}`,
      rules,
    });
    ranks.push(rank);
  }
  candidates.forEach((c, i) => {
    if (c.eligible && ranks[i] === bestRank) c.in_winning_tier = true;
    else if (c.eligible) c.reasons.push('outranked');
  });
  const bit = 31 - Math.clz32(audience.platform);
  return {
    at: new Date(now).toISOString(),
    country: request.country,
    lang: request.lang,
    platform: audience.platform === 0 ? null : platforms[bit]!,
    kv: Object.fromEntries(request.kv),
    player_id: audience.player,
    candidates,
  };
}
