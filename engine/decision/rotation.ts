// Fair rotation over one hour bucket's eligible ads.
//
// Equal weights: plain round-robin, a cursor. Differing weights: smooth weighted round-robin (the
// algorithm nginx balances weighted upstreams with): every pick adds each member's weight to its running
// score, takes the highest score and subtracts the total. Over any window of `total` picks each ad
// is chosen exactly `weight` times, and heavy ads are spread out instead of served in a burst.
// A pick is O(members) for weighted buckets and O(1) otherwise; neither allocates.
// nextWhere draws among the members a filter accepts (a request's platform, key-values, caps): the
// same round-robin from the cursor, or the same smooth weighted round-robin over the accepted members
// only, so the ads a request may see still share its picks by weight.
//
// Memory (bench/compile.ts, 1M ads): weights are read from the index-wide table by ordinal, not
// copied per bucket, and the running scores are allocated on a bucket's first pick. Most buckets
// of a large feed are never asked for in a given hour, and an index is replaced by the next feed.

export class Rotation {
  private cursor = 0;
  /** Running SWRR scores, allocated on the first pick; null for equal weights until then too. */
  private scores: Int32Array | null = null;

  /**
   * @param members ordinals (positions in the index's ad table) of the eligible ads
   * @param weights weight per ordinal for the whole index; null when all members weigh the same
   * @param totalWeight sum of the members' weights
   */
  constructor(
    readonly members: Uint32Array,
    private readonly weights: Uint16Array | null,
    private readonly totalWeight: number,
  ) {}

  get size(): number {
    return this.members.length;
  }

  /** True when members' weights differ (smooth weighted round-robin), false for plain round-robin. */
  get weighted(): boolean {
    return this.weights !== null;
  }

  /** Picks after which every member has come up at least once (the SWRR cycle; n for round-robin). */
  get period(): number {
    return this.totalWeight;
  }

  /** Bytes of per-bucket state allocated so far (the members table plus any scores). */
  get bytes(): number {
    return this.members.byteLength + (this.scores?.byteLength ?? 0);
  }

  /** The ordinal of the next ad. */
  next(): number {
    const weights = this.weights;
    if (weights === null) {
      const i = this.cursor;
      this.cursor = i + 1 === this.members.length ? 0 : i + 1;
      return this.members[i]!;
    }
    const members = this.members;
    const scores = (this.scores ??= new Int32Array(members.length));
    let best = 0;
    let bestScore = -2147483648;
    for (let i = 0; i < scores.length; i++) {
      const s = (scores[i]! += weights[members[i]!]!);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    scores[best]! -= this.totalWeight;
    return members[best]!;
  }

  /** The ordinal of the next member `filter` accepts, or -1 when it accepts none. O(members). */
  nextWhere(filter: { accepts(ordinal: number): boolean }): number {
    const members = this.members;
    const n = members.length;
    const weights = this.weights;
    if (weights === null) {
      for (let k = 0, i = this.cursor; k < n; k++, i = i + 1 === n ? 0 : i + 1) {
        if (!filter.accepts(members[i]!)) continue;
        this.cursor = i + 1 === n ? 0 : i + 1;
        return members[i]!;
      }
      return -1;
    }
    const scores = (this.scores ??= new Int32Array(n));
    let best = -1;
    let bestScore = -2147483648;
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!filter.accepts(members[i]!)) continue;
      const w = weights[members[i]!]!;
      const s = (scores[i]! += w);
      total += w;
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    if (best < 0) return -1;
    scores[best]! -= total;
    return members[best]!;
  }
}
