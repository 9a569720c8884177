import { PointsweepError } from '@pointsweep/contracts';
import { bankClosedFor, CALENDAR_NOT_COVERED, mayReleaseNow, timingForRequest, workingElapsedMs } from './payout-schedule';

const kst = (dateTime: string) => new Date(`${dateTime}+09:00`);
const iso = (dateTime: string) => kst(dateTime).toISOString();
const MIN = 60_000;

describe('payout schedule', () => {
  describe('timing of a RequestPayout', () => {
    it('given a KB cash-out accepted at 19:59:59 on a business day, then immediate, whenever the command is processed', () => {
      expect(timingForRequest({ issuer: 'KB', acceptedAt: iso('2026-11-26T19:59:59') })).toEqual({ mode: 'IMMEDIATE' });
    });

    it('given a KB cash-out accepted at 20:00:00, then scheduled for 09:00 the next business day', () => {
      expect(timingForRequest({ issuer: 'KB', acceptedAt: iso('2026-11-26T20:00:00') }))
        .toEqual({ mode: 'SCHEDULED', releaseAt: kst('2026-11-27T09:00:00') });
    });

    it('given a Hyundai cash-out at 22:59 (23:00 cut-off), then immediate', () => {
      expect(timingForRequest({ issuer: 'HYUNDAI', acceptedAt: iso('2026-11-26T22:59:00') })).toEqual({ mode: 'IMMEDIATE' });
    });

    it('given a Samsung cash-out at 10:00 on a business day, then always the next business day', () => {
      expect(timingForRequest({ issuer: 'SAMSUNG', acceptedAt: iso('2026-11-27T10:00:00') }))
        .toEqual({ mode: 'SCHEDULED', releaseAt: kst('2026-11-30T09:00:00') });
    });

    it('given a date the calendar does not cover, then a final (not retried) coded error naming the fix', () => {
      let caught: unknown;
      try {
        timingForRequest({ issuer: 'KB', acceptedAt: iso('2028-02-01T10:00:00') });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PointsweepError);
      expect(caught).toMatchObject({ code: CALENDAR_NOT_COVERED, retriable: false, message: expect.stringContaining('holidays.ts') });
    });
  });

  describe('release time', () => {
    it('given 08:59:59 on a business day, then not yet; at 09:00, yes', () => {
      expect(mayReleaseNow(kst('2026-11-27T08:59:59'))).toBe(false);
      expect(mayReleaseNow(kst('2026-11-27T09:00:00'))).toBe(true);
    });
    it('given a holiday morning, then no release', () => {
      expect(mayReleaseNow(kst('2026-12-25T10:00:00'))).toBe(false);
    });
  });

  describe('maintenance', () => {
    it('given 23:30 KST, then the bank is closed until 00:30', () => {
      expect(bankClosedFor(kst('2026-11-26T23:30:00'))?.endsAt).toEqual(kst('2026-11-27T00:30:00'));
      expect(bankClosedFor(kst('2026-11-26T23:29:59'))).toBeUndefined();
    });

    it('given a payout queued at 23:25 and claimed at 00:32, then only 7 minutes count against its deadline', () => {
      const now = kst('2026-11-27T00:32:00');
      expect(workingElapsedMs(67 * MIN, now)).toBe(7 * MIN);
    });

    it('given a payout that never met a window, then all its time counts', () => {
      expect(workingElapsedMs(5 * MIN, kst('2026-11-26T10:05:00'))).toBe(5 * MIN);
      expect(workingElapsedMs(0, kst('2026-11-26T10:05:00'))).toBe(0);
    });
  });
});
