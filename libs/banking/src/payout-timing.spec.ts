import { PROGRAMS } from '@pointsweep/contracts';
import { isReleaseTime, issuerCutoffKst, payoutTiming } from './payout-timing';

/** An instant given as KST wall-clock time. */
const kst = (dateTime: string) => new Date(`${dateTime}+09:00`);
const scheduledFor = (dateTime: string) => ({ mode: 'SCHEDULED', releaseAt: kst(dateTime) });
const IMMEDIATE = { mode: 'IMMEDIATE' };

/** Thursday 2026-11-26 is an ordinary business day; Friday 11-27 too. */
const THU = '2026-11-26';

describe('payout timing', () => {
  const twentyHundred = [...new Set(PROGRAMS.filter((p) => p.cutoffKst === '20:00').map((p) => p.issuer))];
  const alwaysNextDay = [...new Set(PROGRAMS.filter((p) => p.cutoffKst === null).map((p) => p.issuer))];

  it('knows which issuers cut off at 20:00 and which are always next day', () => {
    expect(twentyHundred).toEqual(['SHINHAN', 'KB', 'WOORI', 'HANA', 'BC', 'NH']);
    expect(alwaysNextDay).toEqual(['SAMSUNG', 'CITI', 'POST']);
  });

  describe.each(twentyHundred)('given %s with a 20:00 cut-off, on a business day', (issuer) => {
    const cutoffKst = issuerCutoffKst(issuer);

    it('when accepted at 19:59:59, then it is paid immediately', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T19:59:59`) })).toEqual(IMMEDIATE);
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T19:59:59.999`) })).toEqual(IMMEDIATE);
    });

    it('when accepted at 20:00:00, then it is already after the cut-off: next business day 09:00', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T20:00:00`) })).toEqual(scheduledFor('2026-11-27T09:00:00'));
    });

    it('when accepted at 20:01, then next business day 09:00', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T20:01:00`) })).toEqual(scheduledFor('2026-11-27T09:00:00'));
    });
  });

  describe('given HYUNDAI with a 23:00 cut-off', () => {
    const cutoffKst = issuerCutoffKst('HYUNDAI');
    it('when accepted at 22:59, then immediate', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T22:59:00`) })).toEqual(IMMEDIATE);
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T22:59:59`) })).toEqual(IMMEDIATE);
    });
    it('when accepted at 23:00, then next business day 09:00', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T23:00:00`) })).toEqual(scheduledFor('2026-11-27T09:00:00'));
    });
  });

  describe('given LOTTE with a 22:30 cut-off', () => {
    const cutoffKst = issuerCutoffKst('LOTTE');
    it('when accepted at 22:29, then immediate', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T22:29:59`) })).toEqual(IMMEDIATE);
    });
    it('when accepted at 22:30, then next business day 09:00', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T22:30:00`) })).toEqual(scheduledFor('2026-11-27T09:00:00'));
    });
  });

  describe.each(alwaysNextDay)('given %s, always next business day', (issuer) => {
    const cutoffKst = issuerCutoffKst(issuer);
    it('when accepted in the early morning of a business day, then 09:00 the next business day', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T00:00:00`) })).toEqual(scheduledFor('2026-11-27T09:00:00'));
    });
    it('when accepted at 10:00 on a business day, then 09:00 the next business day', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst(`${THU}T10:00:00`) })).toEqual(scheduledFor('2026-11-27T09:00:00'));
    });
    it('when accepted on a Friday, then Monday 09:00', () => {
      expect(payoutTiming({ cutoffKst, acceptedAt: kst('2026-11-27T10:00:00') })).toEqual(scheduledFor('2026-11-30T09:00:00'));
    });
  });

  describe('around weekends and holidays', () => {
    it('given Friday 2026-10-02 21:00 before a holiday weekend, then Tuesday 2026-10-06 09:00', () => {
      expect(payoutTiming({ cutoffKst: '20:00', acceptedAt: kst('2026-10-02T21:00:00') })).toEqual(scheduledFor('2026-10-06T09:00:00'));
    });

    it('given a request on Saturday morning, then Monday 09:00 even before any cut-off', () => {
      expect(payoutTiming({ cutoffKst: '23:00', acceptedAt: kst('2026-11-28T10:00:00') })).toEqual(scheduledFor('2026-11-30T09:00:00'));
    });

    it('given a request on Chuseok (Friday 2026-09-25 10:00), then Monday 2026-09-28 09:00', () => {
      expect(payoutTiming({ cutoffKst: '20:00', acceptedAt: kst('2026-09-25T10:00:00') })).toEqual(scheduledFor('2026-09-28T09:00:00'));
    });

    it('given New Year\'s Eve 20:30, then Monday 2027-01-04 09:00 (1/1 holiday, then the weekend)', () => {
      expect(payoutTiming({ cutoffKst: '20:00', acceptedAt: kst('2026-12-31T20:30:00') })).toEqual(scheduledFor('2027-01-04T09:00:00'));
    });

    it('given New Year\'s Day noon, then the next business day', () => {
      expect(payoutTiming({ cutoffKst: '20:00', acceptedAt: kst('2027-01-01T12:00:00') })).toEqual(scheduledFor('2027-01-04T09:00:00'));
    });

    it('given the Friday before Seollal 2027 after the cut-off, then Wednesday 2027-02-10 (2/9 is the substitute holiday)', () => {
      expect(payoutTiming({ cutoffKst: '20:00', acceptedAt: kst('2027-02-05T20:00:00') })).toEqual(scheduledFor('2027-02-10T09:00:00'));
    });

    it('given the substitute holiday for Christmas 2027, then Tuesday 2027-12-28', () => {
      expect(payoutTiming({ cutoffKst: '20:00', acceptedAt: kst('2027-12-27T11:00:00') })).toEqual(scheduledFor('2027-12-28T09:00:00'));
    });
  });

  describe('before 09:00 on a business day', () => {
    it('given 07:00 and a 20:00 cut-off, then immediate (only the cut-off and non-business days defer)', () => {
      expect(payoutTiming({ cutoffKst: '20:00', acceptedAt: kst(`${THU}T07:00:00`) })).toEqual(IMMEDIATE);
    });
    it('given 00:10 KST, which is still the previous day in UTC, then the KST date decides: immediate', () => {
      const acceptedAt = kst(`${THU}T00:10:00`);
      expect(acceptedAt.toISOString()).toBe('2026-11-25T15:10:00.000Z');
      expect(payoutTiming({ cutoffKst: '20:00', acceptedAt })).toEqual(IMMEDIATE);
    });
    it('given Monday 00:10 KST (Sunday in UTC), then immediate', () => {
      expect(payoutTiming({ cutoffKst: '20:00', acceptedAt: kst('2026-11-30T00:10:00') })).toEqual(IMMEDIATE);
    });
  });

  it('given a time outside the calendar, then it refuses rather than guess', () => {
    expect(() => payoutTiming({ cutoffKst: '20:00', acceptedAt: kst('2028-03-02T10:00:00') })).toThrow(/extend libs\/banking/);
  });

  it('given an invalid instant or cut-off, then it refuses', () => {
    expect(() => payoutTiming({ cutoffKst: '20:00', acceptedAt: new Date('nope') })).toThrow(/not a valid instant/);
    expect(() => payoutTiming({ cutoffKst: '8pm', acceptedAt: kst(`${THU}T10:00:00`) })).toThrow(/HH:MM/);
  });
});

describe('release time', () => {
  it.each([
    ['2026-11-26T08:59:59', false, 'before 09:00'],
    ['2026-11-26T09:00:00', true, 'at 09:00 on a business day'],
    ['2026-11-26T23:59:00', true, 'late on a business day'],
    ['2026-11-28T10:00:00', false, 'on a Saturday'],
    ['2026-10-05T10:00:00', false, 'on a substitute holiday'],
  ])('given %s KST, then release is %s (%s)', (at, expected) => {
    expect(isReleaseTime(kst(at))).toBe(expected);
  });
});

describe('issuer cut-off', () => {
  it('comes from the catalogue, per issuer', () => {
    expect(issuerCutoffKst('HYUNDAI')).toBe('23:00');
    expect(issuerCutoffKst('WOORI')).toBe('20:00');
    expect(issuerCutoffKst('CITI')).toBeNull();
    expect(() => issuerCutoffKst('ACME')).toThrow(/unknown issuer/);
  });
});
