import { cashOutState, decide, evolve, initialPart, PartEvent, PartState } from './cash-out-part';

const given = (...events: PartEvent[]): PartState => events.reduce(evolve, initialPart);

describe('a cash-out part', () => {
  const accepted: PartEvent = { type: 'PartAccepted', pointsConsumed: 99, won: 66 };

  it('moves to paying once the card company has redeemed the points', () => {
    const part = given(accepted);
    const events = decide(part, { type: 'PartRedeemed', issuerTransactionId: 'T1' });
    expect(events.reduce(evolve, part).state).toBe('PAYING');
  });

  it('ends paid with the bank transaction id', () => {
    const part = given(accepted, { type: 'PartRedeemed', issuerTransactionId: 'T1' });
    const events = decide(part, { type: 'PartPaid', bankTransactionId: 'PTSWEEP001U000000001' });
    expect(events.reduce(evolve, part)).toMatchObject({ state: 'PAID', bankTransactionId: 'PTSWEEP001U000000001', won: 66 });
  });

  it('ignores a second payment confirmation for a part already paid', () => {
    const part = given(accepted, { type: 'PartRedeemed', issuerTransactionId: 'T1' }, { type: 'PartPaid', bankTransactionId: 'X' });
    expect(decide(part, { type: 'PartPaid', bankTransactionId: 'Y' })).toEqual([]);
  });

  it('ends failed with the code when the card company refuses', () => {
    const part = given(accepted);
    const events = decide(part, { type: 'PartRedemptionFailed', code: 'INSUFFICIENT_POINTS', reason: 'not enough' });
    expect(events.reduce(evolve, part)).toMatchObject({ state: 'FAILED', failureCode: 'INSUFFICIENT_POINTS' });
  });

  it('derives the request state from its parts', () => {
    expect(cashOutState(['PAID', 'PAYING'])).toBe('IN_PROGRESS');
    expect(cashOutState(['PAID', 'PAID'])).toBe('COMPLETED');
    expect(cashOutState(['PAID', 'FAILED'])).toBe('PARTIALLY_FAILED');
    expect(cashOutState(['FAILED'])).toBe('FAILED');
  });
});
