import { TokenBucket } from './token-bucket';

describe('token bucket', () => {
  function bucket(rate: number, burst: number) {
    let now = 1_000;
    const b = new TokenBucket(rate, burst, () => now);
    return { b, advance: (ms: number) => { now += ms; } };
  }

  it('given a full bucket, when the burst is spent, then the next call is refused', () => {
    const { b } = bucket(200, 3);
    expect([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, true, false]);
  });

  it('given an empty bucket at 200/s, when 5 ms pass, then exactly one token is back', () => {
    const { b, advance } = bucket(200, 1);
    b.tryTake();
    expect(b.retryAfterMs()).toBe(5);
    advance(4);
    expect(b.tryTake()).toBe(false);
    advance(1);
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
  });

  it('given a long idle time, when refilled, then it holds no more than its burst', () => {
    const { b, advance } = bucket(10, 2);
    advance(60_000);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, false]);
  });

  it('given a clock that reads fractions of a millisecond, when refilled, then partial milliseconds are kept for later', () => {
    let now = 0;
    const b = new TokenBucket(1000, 1, () => now);
    b.tryTake();
    now = 0.6;
    expect(b.tryTake()).toBe(false);
    now = 1.2;
    expect(b.tryTake()).toBe(true);
  });
});
