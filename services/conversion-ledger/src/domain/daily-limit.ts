import { kstDate } from '@pointsweep/messaging';

/**
 * One cash-out per program per person per KST calendar day. The day is the Korean one whatever the machine's zone,
 * judged by the time the system accepted the request.
 */
export function cashOutDay(acceptedAt: Date): string {
  return kstDate(acceptedAt);
}

/** A part that never reached the card company (it was down) does not use up the day's cash-out. */
export function usesUpDailyLimit(failureCode: string | undefined): boolean {
  return failureCode !== 'ISSUER_UNAVAILABLE';
}
