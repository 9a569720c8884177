import { PointsweepError } from '@pointsweep/contracts';
import { wasNotSent } from '../resilience/breaker-policy';

/** What one send told us when it did not hand back a receipt. */
export type NoReceipt =
  | { kind: 'refused'; code: string; reason: string }
  | { kind: 'notSent'; reason: string }
  | { kind: 'unknown'; reason: string };

/** What one send told us; each command names its own success kind (`Done`), the rest is shared. */
export type AttemptOutcome<Receipt, Done extends string = string> = { kind: Done; receipt: Receipt } | NoReceipt;

/** What one inquiry by idempotency key told us. */
export type InquiryOutcome<Receipt> =
  | { kind: 'found'; receipt: Receipt }
  | { kind: 'neverHappened' }
  | { kind: 'unanswered'; reason: string };

/** How the loop ended; what a deadline means is each command's own decision. */
export type LoopOutcome<Receipt> =
  | { kind: 'settled'; receipt: Receipt }
  | { kind: 'refused'; code: string; reason: string }
  | { kind: 'deadline'; mayHaveReached: boolean; lastReason: string };

export interface SettlePorts<Receipt, Done extends string = string> {
  attempt(): Promise<AttemptOutcome<Receipt, Done>>;
  inquire(): Promise<InquiryOutcome<Receipt>>;
  sleep(ms: number): Promise<void>;
  /** Monotonic milliseconds. */
  now(): number;
}

export interface SettlePolicy {
  /** How long this run keeps trying. */
  deadlineMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** An earlier run of the same command may already have reached the card company. */
  mayHaveReachedBefore: boolean;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A final answer (non-retriable) is a refusal; a call that never left (breaker open, bulkhead, rate limit, 503
 * ISSUER_DOWN) is harmless; anything else (timeout, 5xx, network, unreadable answer) leaves the outcome unknown.
 */
export function classifyAttemptError(error: unknown): NoReceipt {
  if (wasNotSent(error)) return { kind: 'notSent', reason: reasonOf(error) };
  if (error instanceof PointsweepError && !error.retriable) return { kind: 'refused', code: error.code, reason: error.message };
  return { kind: 'unknown', reason: reasonOf(error) };
}

export function classifyInquiryResult<Receipt>(
  result: { receipt: Receipt | null } | { error: unknown },
  ours: (receipt: Receipt) => boolean,
): InquiryOutcome<Receipt> {
  if ('error' in result) return { kind: 'unanswered', reason: reasonOf(result.error) };
  if (result.receipt === null) return { kind: 'neverHappened' };
  // Not ours: nothing happened for this request under the key; sending it again gets the card company's 409.
  if (!ours(result.receipt)) return { kind: 'neverHappened' };
  return { kind: 'found', receipt: result.receipt };
}

/**
 * Tries within a bounded time, never assuming failure while the outcome is unknown: after an unknown outcome it
 * asks (inquiry by idempotency key) before sending again, and always sends the same key, so a late or repeated
 * request cannot act twice. Backs off between tries; the last try lands on the deadline.
 */
export async function settleUnknownOutcome<Receipt>(ports: SettlePorts<Receipt>, policy: SettlePolicy): Promise<LoopOutcome<Receipt>> {
  const deadline = ports.now() + policy.deadlineMs;
  let delay = policy.backoffInitialMs;
  let mayHaveReached = policy.mayHaveReachedBefore;
  let next: 'attempt' | 'inquire' = mayHaveReached ? 'inquire' : 'attempt';
  let lastReason = 'no answer';
  for (;;) {
    if (next === 'attempt') {
      const outcome = await ports.attempt();
      // The success kind is each command's own, so it is told apart by its receipt.
      if ('receipt' in outcome) return { kind: 'settled', receipt: outcome.receipt };
      switch (outcome.kind) {
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
          throw new Error(`unknown attempt outcome ${JSON.stringify(unexpected)}`);
        }
      }
    } else {
      const answer = await ports.inquire();
      switch (answer.kind) {
        case 'found':
          return { kind: 'settled', receipt: answer.receipt };
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
  return { kind: 'deadline', mayHaveReached, lastReason };
}
