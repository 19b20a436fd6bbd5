// Who a decision is for, beyond market and time: the request's platform and key-values, and the
// player with what the player was shown (README "Campaigns"). One per route, refilled by every
// request (handlers run synchronously on one thread, as the query reader's slots are), so a
// decision builds no object. The index asks it whether an ad may be shown (AdIndex.accepts) and
// tells it which was picked, by the ad's id and rule (rules.ts).

import type { RuleParts } from '../indexes/rules.js';
import type { PlayerMemory } from './player-memory.js';
import type { ViewLog } from './view-log.js';

export class Audience {
  /** The request's platform as a bit (campaign.ts platforms' index); 0 when not given. */
  platform = 0;
  /** The player the request names, null when none. */
  player: string | null = null;
  /** The id of the ad the player saw last, if remembered. */
  last: string | undefined = undefined;
  /** The instant of the decision, epoch ms. */
  now = 0;
  private readonly kvKeys: string[] = [];
  private readonly kvValues: string[] = [];

  constructor(
    private readonly memory: PlayerMemory | null,
    /** Where this server's views go to reach every other server; null: they stay here. */
    private readonly views: ViewLog | null = null,
  ) {}

  /** Starts a request: no platform, no key-values, the player's last ad. */
  reset(player: string | null, now: number): void {
    this.platform = 0;
    this.player = player;
    this.now = now;
    this.last = player === null || this.memory === null ? undefined : this.memory.last(player);
    this.kvKeys.length = 0;
    this.kvValues.length = 0;
  }

  addKv(key: string, value: string): void {
    this.kvKeys.push(key);
    this.kvValues.push(value);
  }

  kvValue(key: string): string | undefined {
    const i = this.kvKeys.indexOf(key);
    return i < 0 ? undefined : this.kvValues[i];
  }

  /** Whether the player has had as many views as the ad's or its campaign's cap allows. No player, no cap. */
  capped(r: RuleParts, adId: string, rule: number): boolean {
    return this.adCapped(r, adId, rule) || this.campaignCapped(r, rule);
  }

  /** Whether the ad's own cap is reached for this player (explain tells the two caps apart). */
  adCapped(r: RuleParts, adId: string, rule: number): boolean {
    const count = r.capCount[rule]!;
    if (count === 0 || this.player === null || this.memory === null) return false;
    return this.memory.countAd(this.player, adId, this.now - r.capSeconds[rule]! * 1000) >= count;
  }

  /** Whether one of the ad's campaign's caps is reached for this player. */
  campaignCapped(r: RuleParts, rule: number): boolean {
    const c = r.campaign[rule]!;
    if (c < 0 || this.player === null || this.memory === null) return false;
    for (let k = r.campaignCapStarts[c]!; k < r.campaignCapStarts[c + 1]!; k++) {
      if (this.memory.countCampaign(this.player, r.campaigns[c]!, this.now - r.campaignCapSeconds[k]! * 1000) >= r.campaignCapCount[k]!) return true;
    }
    return false;
  }

  /** The index picked an ad for this request: remember it as the player's view. */
  picked(r: RuleParts, adId: string, rule: number): void {
    const player = this.player;
    if (player === null || this.memory === null) return;
    const campaign = r.campaign[rule]!;
    // A view counts for caps when its ad has one or belongs to a campaign (whose caps may come from another row).
    const keepMs = r.capCount[rule]! > 0 || campaign >= 0 ? r.longestCapSeconds * 1000 : 0;
    const campaignId = campaign < 0 ? null : r.campaigns[campaign]!;
    this.memory.remember(player, adId, campaignId ?? undefined, this.now, keepMs);
    this.views?.add(player, adId, campaignId, this.now, keepMs);
    this.last = adId;
  }
}
