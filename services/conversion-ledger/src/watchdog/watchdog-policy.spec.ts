import { DEFAULT_WATCHDOG_POLICY as policy, nextWatchdogAction } from './watchdog-policy';

describe('the saga watchdog', () => {
  it('leaves a part alone before its deadline', () => {
    expect(nextWatchdogAction({ state: 'REDEEMING', nudges: 0, idleMs: policy.nudgeAfterMs - 1 }, policy)).toEqual({ type: 'Wait' });
  });

  it('re-sends a redemption that has not settled, with the same idempotency key', () => {
    expect(nextWatchdogAction({ state: 'REDEEMING', nudges: 0, idleMs: policy.nudgeAfterMs }, policy)).toEqual({ type: 'ResendRedemption' });
  });

  it('sends a redemption to manual review after the last re-send', () => {
    const action = nextWatchdogAction({ state: 'REDEEMING', nudges: policy.maxRedemptionNudges, idleMs: policy.nudgeAfterMs }, policy);
    expect(action).toMatchObject({ type: 'SendToManualReview' });
  });

  it('re-sends a refund that the card company has not confirmed', () => {
    expect(nextWatchdogAction({ state: 'REFUNDING', nudges: 5, idleMs: policy.nudgeAfterMs }, policy)).toEqual({ type: 'ResendRefund' });
  });

  it('asks a person to look at a refund the card company keeps refusing', () => {
    const action = nextWatchdogAction({ state: 'REFUNDING', nudges: policy.refundNudgesBeforeReview, idleMs: policy.nudgeAfterMs }, policy);
    expect(action).toMatchObject({ type: 'SendToManualReview' });
  });

  it('sends a payout to manual review only past the payout deadline', () => {
    expect(nextWatchdogAction({ state: 'PAYING', nudges: 0, idleMs: policy.payoutDeadlineMs - 1 }, policy)).toEqual({ type: 'Wait' });
    expect(nextWatchdogAction({ state: 'PAYING', nudges: 0, idleMs: policy.payoutDeadlineMs }, policy)).toMatchObject({ type: 'SendToManualReview' });
  });
});
