import { PointsweepError } from '@pointsweep/contracts';
import { RedemptionReceipt, RedemptionRequest } from '../../connectors/issuer-connector';
import { wasNotSent } from '../../resilience/breaker-policy';

/** What one POST /redemptions told us. */
export type AttemptOutcome =
  | { kind: 'redeemed'; receipt: RedemptionReceipt }
  | { kind: 'refused'; code: string; reason: string }
  | { kind: 'notSent'; reason: string }
  | { kind: 'unknown'; reason: string };

/** What one GET /redemptions/:idempotencyKey told us. */
export type InquiryOutcome =
  | { kind: 'found'; receipt: RedemptionReceipt }
  | { kind: 'neverHappened' }
  | { kind: 'unanswered'; reason: string };

export type Settlement =
  | { kind: 'redeemed'; receipt: RedemptionReceipt }
  | { kind: 'failed'; code: string; reason: string }
  | { kind: 'unsettled'; reason: string };

export const ISSUER_UNAVAILABLE = 'ISSUER_UNAVAILABLE';
export const KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED';

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A receipt under our key but for other content means the key was used for another redemption. */
function receiptMatches(request: RedemptionRequest, receipt: RedemptionReceipt): boolean {
  return receipt.program === request.program && receipt.points === request.points;
}

/**
 * A final answer (non-retriable) is a refusal; a call that never left (breaker open, bulkhead, rate limit)
 * is harmless; anything else (timeout, 5xx, network, unreadable answer) leaves the outcome unknown.
 */
export function classifyAttempt(request: RedemptionRequest, result: { receipt: RedemptionReceipt } | { error: unknown }): AttemptOutcome {
  if ('receipt' in result) {
    if (receiptMatches(request, result.receipt)) return { kind: 'redeemed', receipt: result.receipt };
    return { kind: 'refused', code: KEY_REUSED, reason: `the card company holds another redemption under key ${request.idempotencyKey}` };
  }
  const { error } = result;
  if (wasNotSent(error)) return { kind: 'notSent', reason: reasonOf(error) };
  if (error instanceof PointsweepError && !error.retriable) return { kind: 'refused', code: error.code, reason: error.message };
  return { kind: 'unknown', reason: reasonOf(error) };
}

export function classifyInquiry(request: RedemptionRequest, result: { receipt: RedemptionReceipt | null } | { error: unknown }): InquiryOutcome {
  if ('error' in result) return { kind: 'unanswered', reason: reasonOf(result.error) };
  if (result.receipt === null) return { kind: 'neverHappened' };
  // Not ours: for this request, nothing happened under the key, and retrying will get the issuer's 409.
  if (!receiptMatches(request, result.receipt)) return { kind: 'neverHappened' };
  return { kind: 'found', receipt: result.receipt };
}

export interface SettlePorts {
  attempt(): Promise<AttemptOutcome>;
  inquire(): Promise<InquiryOutcome>;
  sleep(ms: number): Promise<void>;
  /** Monotonic milliseconds. */
  now(): number;
}

export interface SettlePolicy {
  deadlineMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** An earlier run of the same command may already have reached the card company. */
  mayHaveReachedBefore: boolean;
}

/**
 * Settles one redemption within a bounded time, never assuming failure while the outcome is unknown:
 * after an unknown outcome it asks (inquiry by idempotency key) before sending again, and retries the same key.
 * At the deadline: nothing could have reached the issuer → ISSUER_UNAVAILABLE; otherwise one last inquiry decides,
 * and if even that goes unanswered the redemption stays unsettled (the caller retries later).
 */
export async function settleRedemption(ports: SettlePorts, policy: SettlePolicy): Promise<Settlement> {
  const deadline = ports.now() + policy.deadlineMs;
  let delay = policy.backoffInitialMs;
  let mayHaveReached = policy.mayHaveReachedBefore;
  let next: 'attempt' | 'inquire' = mayHaveReached ? 'inquire' : 'attempt';
  let lastReason = 'no answer';
  for (;;) {
    if (next === 'attempt') {
      const outcome = await ports.attempt();
      switch (outcome.kind) {
        case 'redeemed':
          return { kind: 'redeemed', receipt: outcome.receipt };
        case 'refused':
          return { kind: 'failed', code: outcome.code, reason: outcome.reason };
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
          throw new Error(`unknown attempt outcome ${JSON.stringify(unexpected)}`);
        }
      }
    } else {
      const answer = await ports.inquire();
      switch (answer.kind) {
        case 'found':
          return { kind: 'redeemed', receipt: answer.receipt };
        case 'neverHappened':
          next = 'attempt'; // the same key again: if a late request lands first, the issuer returns its result
          break;
        case 'unanswered':
          lastReason = answer.reason;
          break;
        default: {
          const unexpected: never = answer;
          throw new Error(`unknown inquiry outcome ${JSON.stringify(unexpected)}`);
        }
      }
    }
    const remaining = deadline - ports.now();
    if (remaining <= 0) break;
    await ports.sleep(Math.min(delay, remaining)); // the last try lands on the deadline: a breaker may have half-opened
    delay = Math.min(delay * 2, policy.backoffMaxMs);
  }
  if (!mayHaveReached) return { kind: 'failed', code: ISSUER_UNAVAILABLE, reason: `the card company could not be reached: ${lastReason}` };
  const last = await ports.inquire();
  switch (last.kind) {
    case 'found':
      return { kind: 'redeemed', receipt: last.receipt };
    case 'neverHappened':
      return { kind: 'failed', code: ISSUER_UNAVAILABLE, reason: `the card company did not redeem in time: ${lastReason}` };
    case 'unanswered':
      return { kind: 'unsettled', reason: `outcome unknown and the inquiry went unanswered: ${last.reason}` };
    default: {
      const unexpected: never = last;
      throw new Error(`unknown inquiry outcome ${JSON.stringify(unexpected)}`);
    }
  }
}
