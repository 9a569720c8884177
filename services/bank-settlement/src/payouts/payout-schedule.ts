/**
 * When a payout may go to the bank, as pure functions over the business calendar (libs/banking). No I/O and no
 * clock reads: callers pass the command's acceptance time and the injected clock's `now`.
 */
import { BusinessCalendarNotCovered, isReleaseTime, issuerCutoffKst, maintenanceOverlapMs, maintenanceWindowAt, OpenMaintenanceWindow, payoutTiming, PayoutTiming } from '@pointsweep/banking';
import { PointsweepError } from '@pointsweep/contracts';

export const CALENDAR_NOT_COVERED = 'BUSINESS_CALENDAR_NOT_COVERED';

/**
 * Immediate or scheduled, by the issuer's cut-off and the time the system accepted the cash-out (never the
 * time this service happens to process the command). A date the calendar does not cover is a final error
 * (it goes to the dead-letter topic with its reason, replayable once the holiday data is extended).
 */
export function timingForRequest(request: { issuer: string; acceptedAt: string }): PayoutTiming {
  const acceptedAt = new Date(request.acceptedAt);
  try {
    return payoutTiming({ cutoffKst: issuerCutoffKst(request.issuer), acceptedAt });
  } catch (error) {
    if (error instanceof BusinessCalendarNotCovered) throw new PointsweepError(CALENDAR_NOT_COVERED, error.message, false);
    throw error;
  }
}

/** Whether the releaser may move due SCHEDULED payouts to PENDING now: a business day, from 09:00 KST. */
export function mayReleaseNow(now: Date): boolean {
  return isReleaseTime(now);
}

/** A maintenance window in which the bank must not be called, if one is open. */
export function bankClosedFor(now: Date): OpenMaintenanceWindow | undefined {
  return maintenanceWindowAt(now);
}

/**
 * The part of a payout's elapsed time that counts against its deadline: time inside maintenance windows (when the
 * bank could not be called) is left out, so a payout queued at 23:29 is not given up on at 00:30.
 */
export function workingElapsedMs(elapsedMs: number, now: Date): number {
  if (elapsedMs <= 0) return 0;
  const since = new Date(now.getTime() - elapsedMs);
  return Math.max(0, elapsedMs - maintenanceOverlapMs(since, now));
}
