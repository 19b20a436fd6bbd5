// Per-key token buckets (README "Configuration", RATE_LIMIT_*): each API key may make `ratePerSecond`
// requests a second on average, in bursts of up to `burst`. Buckets exist only for keys that passed
// authentication, so their number is bounded by the configured keys. Per server process: with
// ENGINE_WORKERS=N and connections spread by the kernel, a key's ceiling is up to N times the rate.
// Off (null) unless RATE_LIMIT_PER_SECOND is set, and off by default in embedded mode.

interface Bucket {
  tokens: number;
  /** performance.now() of the last refill. */
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.perMs = ratePerSecond / 1000;
  }

  /** 0 when the request may go ahead (a token is spent), else the seconds to wait for one (≥ 1). */
  take(key: string, nowMs: number): number {
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.burst, at: nowMs };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + (nowMs - b.at) * this.perMs);
      b.at = nowMs;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }
}
