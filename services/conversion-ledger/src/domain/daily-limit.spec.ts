import { cashOutDay, usesUpDailyLimit } from './daily-limit';

describe('the daily cash-out limit', () => {
  it('counts 23:59:59 KST as the same day and 00:00:00 KST as the next', () => {
    // given two requests one second apart around midnight in Seoul (15:00 UTC)
    const beforeMidnight = new Date('2026-11-26T14:59:59Z');
    const atMidnight = new Date('2026-11-26T15:00:00Z');
    // then they fall on different KST days, so the second may cash out the same program again
    expect(cashOutDay(beforeMidnight)).toBe('2026-11-26');
    expect(cashOutDay(atMidnight)).toBe('2026-11-27');
  });

  it('uses the Korean day even when it is still the previous day in UTC', () => {
    expect(cashOutDay(new Date('2026-11-26T16:30:00Z'))).toBe('2026-11-27');
  });

  it('does not use up the day when the card company was unavailable', () => {
    expect(usesUpDailyLimit('ISSUER_UNAVAILABLE')).toBe(false);
    expect(usesUpDailyLimit('INSUFFICIENT_POINTS')).toBe(true);
    expect(usesUpDailyLimit(undefined)).toBe(true);
  });
});
