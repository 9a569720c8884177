/**
 * A token bucket counted in thousandths of a token, so refills stay whole numbers.
 * `now` is a monotonic millisecond clock (not the business clock, which tests may freeze).
 */
export class TokenBucket {
  private milliTokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    if (!Number.isSafeInteger(ratePerSecond) || ratePerSecond <= 0) throw new Error('ratePerSecond must be a positive integer');
    if (!Number.isSafeInteger(burst) || burst <= 0) throw new Error('burst must be a positive integer');
    this.milliTokens = burst * 1000;
    this.last = Math.floor(now());
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.milliTokens < 1000) return false;
    this.milliTokens -= 1000;
    return true;
  }

  /** How long until the next token, in whole milliseconds (0 when one is available). */
  retryAfterMs(): number {
    this.refill();
    if (this.milliTokens >= 1000) return 0;
    return Math.ceil((1000 - this.milliTokens) / this.ratePerSecond);
  }

  private refill(): void {
    const at = Math.floor(this.now());
    const elapsed = at - this.last;
    if (elapsed <= 0) return;
    // rate tokens per 1000 ms = rate milli-tokens per ms
    this.milliTokens = Math.min(this.burst * 1000, this.milliTokens + elapsed * this.ratePerSecond);
    this.last = at;
  }
}
