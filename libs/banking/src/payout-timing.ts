import { IssuerCode, PROGRAMS } from '@pointsweep/contracts';
import { isBusinessDay, nextBusinessDay } from './calendar';
import { assertInstant, kstAt, kstDateOf, kstMsOfDay, timeMs } from './kst';

/** Scheduled payouts are released from this KST time on a business day. */
export const RELEASE_TIME_KST = '09:00';

export type PayoutTiming = { mode: 'IMMEDIATE' } | { mode: 'SCHEDULED'; releaseAt: Date };

/**
 * When a payout may go to the bank. Immediate when the request was accepted on a business day strictly before
 * the issuer's cut-off (20:00:00 is already after a 20:00 cut-off; 07:00 on a business day is before it);
 * otherwise — at or after the cut-off, on a weekend or holiday, or for an issuer whose cut-off is null
 * ("always next business day") — scheduled for 09:00 KST on the next business day after the acceptance date.
 * `acceptedAt` is the time the system accepted the request, never a time the caller supplied.
 */
export function payoutTiming(input: { cutoffKst: string | null; acceptedAt: Date }): PayoutTiming {
  assertInstant(input.acceptedAt, 'acceptedAt');
  const date = kstDateOf(input.acceptedAt);
  const businessDay = isBusinessDay(date); // also refuses dates the calendar does not cover
  if (input.cutoffKst !== null && businessDay && kstMsOfDay(input.acceptedAt) < timeMs(input.cutoffKst)) {
    return { mode: 'IMMEDIATE' };
  }
  return { mode: 'SCHEDULED', releaseAt: kstAt(nextBusinessDay(date), RELEASE_TIME_KST) };
}

/** Whether scheduled payouts may be released now: a business day, from 09:00 KST. */
export function isReleaseTime(now: Date): boolean {
  assertInstant(now, 'now');
  return isBusinessDay(kstDateOf(now)) && kstMsOfDay(now) >= timeMs(RELEASE_TIME_KST);
}

/**
 * An issuer's payout cut-off from the catalogue. The catalogue lists it per program; an issuer with two programs
 * (WOORI) must give both the same cut-off, or the rule would be ambiguous.
 */
export function issuerCutoffKst(issuer: IssuerCode | string): string | null {
  const cutoffs = new Set(PROGRAMS.filter((p) => p.issuer === issuer).map((p) => p.cutoffKst));
  if (cutoffs.size === 0) throw new RangeError(`unknown issuer ${issuer}`);
  if (cutoffs.size > 1) throw new RangeError(`the catalogue gives issuer ${issuer} more than one payout cut-off`);
  return [...cutoffs][0];
}
