import { PointsweepError } from '@pointsweep/contracts';
import { RefundReceipt, RefundRequest } from '../../connectors/issuer-connector';
import { wasNotSent } from '../../resilience/breaker-policy';

/** What one POST /refunds told us. */
export type RefundAttemptOutcome =
  | { kind: 'refunded'; receipt: RefundReceipt }
  | { kind: 'refused'; code: string; reason: string }
  | { kind: 'notSent'; reason: string }
  | { kind: 'unknown'; reason: string };

/** What one GET /refunds/:idempotencyKey told us. */
export type RefundInquiryOutcome =
  | { kind: 'found'; receipt: RefundReceipt }
  | { kind: 'neverHappened' }
  | { kind: 'unanswered'; reason: string };

/**
 * A refund either happened, was refused for good by the card company (REDEMPTION_NOT_FOUND,
 * REFUND_EXCEEDS_REDEMPTION, IDEMPOTENCY_KEY_REUSED), or is still pending: it never fails for unavailability.
 */
export type RefundSettlement =
  | { kind: 'refunded'; receipt: RefundReceipt }
  | { kind: 'refused'; code: string; reason: string }
  | { kind: 'pending'; code: typeof REFUND_ISSUER_UNAVAILABLE | typeof REFUND_OUTCOME_UNKNOWN; reason: string };

export const REFUND_ISSUER_UNAVAILABLE = 'ISSUER_UNAVAILABLE';
export const REFUND_OUTCOME_UNKNOWN = 'REFUND_OUTCOME_UNKNOWN';
export const REFUND_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED';

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A receipt is ours when every field the card company echoes matches what we asked for. */
export function refundReceiptMatches(request: RefundRequest, receipt: RefundReceipt): boolean {
  return (receipt.program === undefined || receipt.program === request.program)
    && (receipt.points === undefined || receipt.points === request.points)
    && (receipt.redemptionTransactionId === undefined || receipt.redemptionTransactionId === request.redemptionTransactionId);
}

/**
 * A final answer (non-retriable) is a refusal; a call that never left (breaker open, bulkhead, rate limit, 503
 * ISSUER_DOWN) is harmless; anything else (timeout, 5xx, network, unreadable answer) leaves the outcome unknown.
 */
export function classifyRefundAttempt(request: RefundRequest, result: { receipt: RefundReceipt } | { error: unknown }): RefundAttemptOutcome {
  if ('receipt' in result) {
    if (refundReceiptMatches(request, result.receipt)) return { kind: 'refunded', receipt: result.receipt };
    return { kind: 'refused', code: REFUND_KEY_REUSED, reason: `the card company holds another refund under key ${request.idempotencyKey}` };
  }
  const { error } = result;
  if (wasNotSent(error)) return { kind: 'notSent', reason: reasonOf(error) };
  if (error instanceof PointsweepError && !error.retriable) return { kind: 'refused', code: error.code, reason: error.message };
  return { kind: 'unknown', reason: reasonOf(error) };
}

export function classifyRefundInquiry(request: RefundRequest, result: { receipt: RefundReceipt | null } | { error: unknown }): RefundInquiryOutcome {
  if ('error' in result) return { kind: 'unanswered', reason: reasonOf(result.error) };
  if (result.receipt === null) return { kind: 'neverHappened' };
  // Not ours: nothing happened for this request under the key; sending it again gets the card company's 409.
  if (!refundReceiptMatches(request, result.receipt)) return { kind: 'neverHappened' };
  return { kind: 'found', receipt: result.receipt };
}

/** What we stored under an idempotency key, compared with a command that uses the same key. */
export interface StoredRefund {
  partId: string;
  personId: string;
  program: string;
  points: number;
  redemptionTransactionId: string;
}

export function sameRefund(stored: StoredRefund, command: StoredRefund): boolean {
  return stored.partId === command.partId
    && stored.personId === command.personId
    && stored.program === command.program
    && stored.points === command.points
    && stored.redemptionTransactionId === command.redemptionTransactionId;
}

export interface RefundPorts {
  attempt(): Promise<RefundAttemptOutcome>;
  inquire(): Promise<RefundInquiryOutcome>;
  sleep(ms: number): Promise<void>;
  /** Monotonic milliseconds. */
  now(): number;
}

export interface RefundPolicy {
  /** How long this run keeps trying before it hands back a pending (retriable) outcome. */
  deadlineMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** An earlier run of the same refund may already have reached the card company. */
  mayHaveReachedBefore: boolean;
}

/**
 * Settles one refund as far as this run can: after an unknown outcome it asks (inquiry by idempotency key) before
 * sending again, and always sends the same key, so a late or repeated request cannot refund twice. A refund is
 * never given up: when the deadline passes it is pending, and the caller retries later.
 */
export async function settleRefund(ports: RefundPorts, policy: RefundPolicy): Promise<RefundSettlement> {
  const deadline = ports.now() + policy.deadlineMs;
  let delay = policy.backoffInitialMs;
  let mayHaveReached = policy.mayHaveReachedBefore;
  let next: 'attempt' | 'inquire' = mayHaveReached ? 'inquire' : 'attempt';
  let lastReason = 'no answer';
  for (;;) {
    if (next === 'attempt') {
      const outcome = await ports.attempt();
      switch (outcome.kind) {
        case 'refunded':
          return { kind: 'refunded', receipt: outcome.receipt };
        case 'refused':
          return { kind: 'refused', code: outcome.code, reason: outcome.reason };
        case 'notSent':
          lastReason = outcome.reason;
          break;
        case 'unknown':
          mayHaveReached = true;
          lastReason = outcome.reason;
          next = 'inquire';
          break;
        default: {
          const unexpected: never = outcome;
          throw new Error(`unknown refund attempt outcome ${JSON.stringify(unexpected)}`);
        }
      }
    } else {
      const answer = await ports.inquire();
      switch (answer.kind) {
        case 'found':
          return { kind: 'refunded', receipt: answer.receipt };
        case 'neverHappened':
          next = 'attempt';
          break;
        case 'unanswered':
          lastReason = answer.reason;
          break;
        default: {
          const unexpected: never = answer;
          throw new Error(`unknown refund inquiry outcome ${JSON.stringify(unexpected)}`);
        }
      }
    }
    const remaining = deadline - ports.now();
    if (remaining <= 0) break;
    await ports.sleep(Math.min(delay, remaining));
    delay = Math.min(delay * 2, policy.backoffMaxMs);
  }
  return mayHaveReached
    ? { kind: 'pending', code: REFUND_OUTCOME_UNKNOWN, reason: `refund outcome still unknown: ${lastReason}` }
    : { kind: 'pending', code: REFUND_ISSUER_UNAVAILABLE, reason: `the card company could not be reached: ${lastReason}` };
}
