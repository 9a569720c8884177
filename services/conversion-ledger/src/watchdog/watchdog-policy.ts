export interface WatchdogPolicy {
  pollMs: number;
  batchSize: number;
  /** A part untouched this long gets looked at. */
  nudgeAfterMs: number;
  /** Re-sent redemptions before a part goes to manual review. */
  maxRedemptionNudges: number;
  /** A payout not settled by then goes to manual review (settlement escalates its own earlier). */
  payoutDeadlineMs: number;
  /** Re-sent refunds before a person must look: a card company that refuses for good never confirms. */
  refundNudgesBeforeReview: number;
}

export const DEFAULT_WATCHDOG_POLICY: WatchdogPolicy = {
  pollMs: 2000,
  batchSize: 100,
  nudgeAfterMs: 60_000,
  maxRedemptionNudges: 3,
  payoutDeadlineMs: 20 * 60_000,
  refundNudgesBeforeReview: 60,
};

export function watchdogPolicyFromEnv(env: Record<string, string | undefined>): WatchdogPolicy {
  const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    pollMs: num('WATCHDOG_POLL_MS', DEFAULT_WATCHDOG_POLICY.pollMs),
    batchSize: num('WATCHDOG_BATCH', DEFAULT_WATCHDOG_POLICY.batchSize),
    nudgeAfterMs: num('WATCHDOG_NUDGE_AFTER_MS', DEFAULT_WATCHDOG_POLICY.nudgeAfterMs),
    maxRedemptionNudges: num('WATCHDOG_MAX_REDEMPTION_NUDGES', DEFAULT_WATCHDOG_POLICY.maxRedemptionNudges),
    payoutDeadlineMs: num('WATCHDOG_PAYOUT_DEADLINE_MS', DEFAULT_WATCHDOG_POLICY.payoutDeadlineMs),
    refundNudgesBeforeReview: num('WATCHDOG_REFUND_NUDGES_BEFORE_REVIEW', DEFAULT_WATCHDOG_POLICY.refundNudgesBeforeReview),
  };
}

export type WatchdogAction =
  | { type: 'Wait' }
  | { type: 'ResendRedemption' }
  | { type: 'ResendRefund' }
  | { type: 'SendToManualReview'; reason: string };

/** Pure rule: what to do with a part that has been idle for `idleMs`. Refunds are re-sent until they succeed. */
export function nextWatchdogAction(
  part: { state: 'REDEEMING' | 'PAYING' | 'REFUNDING'; nudges: number; idleMs: number },
  policy: WatchdogPolicy,
): WatchdogAction {
  if (part.idleMs < policy.nudgeAfterMs) return { type: 'Wait' };
  switch (part.state) {
    case 'REDEEMING':
      return part.nudges < policy.maxRedemptionNudges
        ? { type: 'ResendRedemption' }
        : { type: 'SendToManualReview', reason: `the card company did not settle the redemption after ${part.nudges} re-sends` };
    case 'REFUNDING':
      return part.nudges < policy.refundNudgesBeforeReview
        ? { type: 'ResendRefund' }
        : { type: 'SendToManualReview', reason: `the card company has not confirmed the refund after ${part.nudges} re-sends` };
    case 'PAYING':
      return part.idleMs >= policy.payoutDeadlineMs
        ? { type: 'SendToManualReview', reason: `the payout was not settled within ${Math.round(policy.payoutDeadlineMs / 60000)} minutes` }
        : { type: 'Wait' };
    default: {
      const unexpected: never = part.state;
      throw new Error(`unexpected state ${String(unexpected)}`);
    }
  }
}
