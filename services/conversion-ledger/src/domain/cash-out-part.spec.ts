import { cashOutState, decide, evolve, initialPart, PartEvent, PartState } from './cash-out-part';

const given = (...events: PartEvent[]): PartState => events.reduce(evolve, initialPart);
const when = (part: PartState, event: PartEvent): PartState => decide(part, event).reduce(evolve, part);

describe('a cash-out part', () => {
  const accepted: PartEvent = { type: 'PartAccepted', pointsConsumed: 99, won: 66 };
  const redeemed: PartEvent = { type: 'PartRedeemed', issuerTransactionId: 'T1' };

  it('moves to paying once the card company has redeemed the points', () => {
    expect(when(given(accepted), redeemed).state).toBe('PAYING');
  });

  it('ends paid with the bank transaction id and its date', () => {
    const part = when(given(accepted, redeemed), { type: 'PartPaid', bankTransactionId: 'PTSWEEP001U000000001', transferDate: '20261126' });
    expect(part).toMatchObject({ state: 'PAID', bankTransactionId: 'PTSWEEP001U000000001', transferDate: '20261126', won: 66 });
  });

  it('ignores a second payment confirmation for a part already paid', () => {
    const part = given(accepted, redeemed, { type: 'PartPaid', bankTransactionId: 'X', transferDate: '20261126' });
    expect(decide(part, { type: 'PartPaid', bankTransactionId: 'Y', transferDate: '20261126' })).toEqual([]);
  });

  it('ends failed with the code when the card company refuses', () => {
    const part = when(given(accepted), { type: 'PartRedemptionFailed', code: 'INSUFFICIENT_POINTS', reason: 'not enough' });
    expect(part).toMatchObject({ state: 'FAILED', failureCode: 'INSUFFICIENT_POINTS' });
  });

  it('waits scheduled for the next business day and is paid when released', () => {
    const scheduled = when(given(accepted, redeemed), { type: 'PartScheduled', releaseAt: '2026-11-27T00:00:00.000Z' });
    expect(scheduled).toMatchObject({ state: 'SCHEDULED', payoutFrom: '2026-11-27T00:00:00.000Z' });
    expect(when(scheduled, { type: 'PartPaid', bankTransactionId: 'B', transferDate: '20261127' }).state).toBe('PAID');
  });

  it('refunds the points before failing when the payout fails for good', () => {
    const refunding = when(given(accepted, redeemed), { type: 'PartPayoutFailed', code: 'BANK_0021', reason: 'no such account' });
    expect(refunding).toMatchObject({ state: 'REFUNDING', failureCode: 'BANK_0021' });
    expect(when(refunding, { type: 'PartRefunded', refundId: 'R1' })).toMatchObject({ state: 'FAILED', failureCode: 'BANK_0021' });
  });

  it('goes to manual review when no rule settles it, and still accepts the bank\'s late answer', () => {
    const review = when(given(accepted, redeemed), { type: 'PartNeedsReview', reason: 'transfer outcome unknown' });
    expect(review.state).toBe('MANUAL_REVIEW');
    expect(when(review, { type: 'PartPaid', bankTransactionId: 'B', transferDate: '20261126' }).state).toBe('PAID');
  });

  it('pays a part sent to review while the card company was silent, once the redemption is confirmed late', () => {
    const review = when(given(accepted), { type: 'PartNeedsReview', reason: 'redemption not settled' });
    expect(when(review, redeemed).state).toBe('PAYING');
  });

  it('does not redeem twice a part that went to review after it was redeemed', () => {
    const review = when(given(accepted, redeemed), { type: 'PartNeedsReview', reason: 'payout not settled' });
    expect(decide(review, redeemed)).toEqual([]);
  });

  it('derives the request state from its parts', () => {
    expect(cashOutState(['PAID', 'PAYING'])).toBe('IN_PROGRESS');
    expect(cashOutState(['PAID', 'REFUNDING'])).toBe('IN_PROGRESS');
    expect(cashOutState(['PAID', 'PAID'])).toBe('COMPLETED');
    expect(cashOutState(['PAID', 'FAILED'])).toBe('PARTIALLY_FAILED');
    expect(cashOutState(['FAILED'])).toBe('FAILED');
    expect(cashOutState(['PAID', 'MANUAL_REVIEW'])).toBe('NEEDS_REVIEW');
  });
});
