import { DEFAULT_RELEASE_POLICY, releasePolicyFromEnv } from './release-policy';

describe('release policy', () => {
  it('defaults to 200 payouts per second', () => {
    expect(releasePolicyFromEnv({})).toEqual({ perTick: 200, tickMs: 1000 });
    expect(DEFAULT_RELEASE_POLICY).toEqual({ perTick: 200, tickMs: 1000 });
  });

  it('takes overrides from the environment and refuses nonsense', () => {
    expect(releasePolicyFromEnv({ PAYOUT_RELEASE_PER_TICK: '50', PAYOUT_RELEASE_TICK_MS: '500' })).toEqual({ perTick: 50, tickMs: 500 });
    expect(() => releasePolicyFromEnv({ PAYOUT_RELEASE_PER_TICK: '0' })).toThrow(/positive whole number/);
  });
});
