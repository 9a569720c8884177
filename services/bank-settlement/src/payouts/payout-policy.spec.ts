import { DEFAULT_PAYOUT_POLICY } from './payout-decision';
import { payoutPolicyFromEnv } from './payout-policy';

describe('payout policy', () => {
  it('defaults to a 10 minute deadline', () => {
    expect(payoutPolicyFromEnv({})).toEqual(DEFAULT_PAYOUT_POLICY);
    expect(DEFAULT_PAYOUT_POLICY.deadlineMs).toBe(600_000);
  });

  it('takes overrides from the environment', () => {
    expect(payoutPolicyFromEnv({ PAYOUT_DEADLINE_MS: '5000', PAYOUT_MAX_ATTEMPTS: '3' })).toMatchObject({ deadlineMs: 5000, maxAttempts: 3 });
  });

  it('refuses nonsense and leases shorter than a bank call', () => {
    expect(() => payoutPolicyFromEnv({ PAYOUT_MAX_ATTEMPTS: '2.5' })).toThrow(/positive whole number/);
    expect(() => payoutPolicyFromEnv({ PAYOUT_LEASE_MS: '1000' })).toThrow(/longer than the bank call/);
  });
});
