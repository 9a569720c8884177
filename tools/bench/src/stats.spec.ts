import { distribution, maxOf, minOf, percentile } from './stats';

describe('the bench figures', () => {
  it('summarises a five-minute run of more latencies than a call can take as arguments', () => {
    const latencies = Array.from({ length: 500_000 }, (_, i) => (i * 7919) % 500_000);

    const d = distribution(latencies);

    expect(d).toEqual({ count: 500_000, p50: 249_999, p95: 474_999, p99: 494_999, max: 499_999 });
    expect(maxOf(latencies)).toBe(499_999);
    expect(minOf(latencies)).toBe(0);
  });

  it('gives nearest-rank percentiles and nothing for no values', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
    expect(distribution([])).toEqual({ count: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN });
    expect(maxOf([])).toBeNaN();
    expect(minOf([-3, -7])).toBe(-7);
  });
});
