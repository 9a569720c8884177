/**
 * The payout rules as pure functions: given the payout's state and the bank's answer, what happens next.
 * No I/O and no clock reads here; the worker supplies `now` and applies the decision.
 */

/** SCHEDULED waits for its release (next business day); the worker only ever holds PENDING and UNKNOWN. */
export type PayoutStatus = 'SCHEDULED' | 'PENDING' | 'UNKNOWN' | 'PAID' | 'FAILED' | 'MANUAL_REVIEW';

export interface PayoutPolicy {
  /**
   * After this long (since the payout was accepted, or released when it was scheduled; maintenance windows not
   * counted) a payout that is not settled goes to MANUAL_REVIEW.
   */
  deadlineMs: number;
  /** Bank calls (transfers and inquiries) allowed before MANUAL_REVIEW. */
  maxAttempts: number;
  /** Backoff: base * 2^(attempt-1), capped. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long a claimed payout stays reserved for one worker; longer than any bank call. */
  leaseMs: number;
  transferTimeoutMs: number;
  inquiryTimeoutMs: number;
}

export const DEFAULT_PAYOUT_POLICY: PayoutPolicy = {
  deadlineMs: 10 * 60 * 1000,
  maxAttempts: 30,
  baseDelayMs: 1000,
  maxDelayMs: 60 * 1000,
  leaseMs: 30 * 1000,
  transferTimeoutMs: 10 * 1000,
  inquiryTimeoutMs: 5 * 1000,
};

/** A payout the worker holds: only PENDING (send the transfer) or UNKNOWN (ask the bank what happened). */
export interface ActivePayout {
  partId: string;
  status: 'PENDING' | 'UNKNOWN';
  amountWon: number;
  transferDate: string;
  bankTransactionId: string;
  /** Bank calls already made. */
  attempts: number;
  /** Time since the payout became payable (accepted, or released), less time in maintenance windows. */
  elapsedMs: number;
}

/** Everything the bank can tell us, from a transfer or from the transfer-result inquiry. */
export type BankOutcome =
  | { type: 'TransferCompleted'; responseCode: '0000' }
  /** Timeout, network error, 5xx, '0009', '0001', '0011' or an answer we do not understand: maybe applied. */
  | { type: 'TransferOutcomeUnknown'; responseCode?: string; detail: string }
  /** The account will never receive this transfer. */
  | { type: 'TransferRejected'; responseCode: '0021' | '0022'; detail: string }
  /** Not applied, worth retrying later: '0031' insufficient funds (ours), '0099' maintenance. */
  | { type: 'TransferDeferred'; responseCode: '0031' | '0099'; detail: string }
  | { type: 'InquiryCompleted'; responseCode?: string; amountWon: number }
  | { type: 'InquiryFailed'; responseCode: string }
  | { type: 'InquiryInProgress'; detail: string }
  /** 404: the bank never recorded this (date, id). */
  | { type: 'InquiryNotFound' }
  | { type: 'InquiryUnavailable'; detail: string };

export const PERMANENT_FAILURE_CODES: ReadonlySet<string> = new Set(['0021', '0022']);

export type Decision =
  | { type: 'MarkPaid'; settledAt: Date }
  | { type: 'MarkFailed'; code: string; reason: string }
  /** Outcome unknown: never resend blindly; ask the inquiry after the delay. */
  | { type: 'AwaitInquiry'; delayMs: number; reason: string }
  /** The bank never saw the transaction: resending the SAME (date, id) is safe, the bank dedupes on it. */
  | { type: 'ResendSameId'; reason: string }
  /** The current id ended FAILED at the bank (not applied): try again later under a fresh id. */
  | { type: 'RetryWithNewId'; delayMs: number; reason: string }
  | { type: 'EscalateToManualReview'; reason: string };

export type BankCall = 'TRANSFER' | 'INQUIRY';

/** What to do with a claimed payout before calling the bank. */
export function planCall(payout: ActivePayout, policy: PayoutPolicy): BankCall | 'ESCALATE' {
  if (payout.status === 'UNKNOWN') return 'INQUIRY'; // even when out of time: one last look can still settle it
  return exhausted(payout.attempts, payout.elapsedMs, policy) ? 'ESCALATE' : 'TRANSFER';
}

/** The decision when a PENDING payout is out of attempts or time before another transfer is sent. */
export function escalate(payout: ActivePayout, policy: PayoutPolicy): Decision {
  return { type: 'EscalateToManualReview', reason: outOfBudget(payout.attempts, payout.elapsedMs, policy) };
}

/** Given the payout and the answer to the call just made, decide what happens next. */
export function decide(payout: ActivePayout, outcome: BankOutcome, policy: PayoutPolicy, now: Date): Decision {
  const attempts = payout.attempts + 1; // including the call that produced `outcome`
  const giveUp = exhausted(attempts, payout.elapsedMs, policy);
  const unlessExhausted = (next: Decision, why: string): Decision =>
    giveUp ? { type: 'EscalateToManualReview', reason: `${why}; ${outOfBudget(attempts, payout.elapsedMs, policy)}` } : next;

  switch (outcome.type) {
    case 'TransferCompleted':
      return { type: 'MarkPaid', settledAt: now };
    case 'InquiryCompleted':
      if (outcome.amountWon !== payout.amountWon) {
        // Money moved, but not the amount we asked for: no rule can settle that.
        return { type: 'EscalateToManualReview', reason: `bank completed ${outcome.amountWon} won, expected ${payout.amountWon}` };
      }
      return { type: 'MarkPaid', settledAt: now };
    case 'TransferRejected':
      return { type: 'MarkFailed', code: `BANK_${outcome.responseCode}`, reason: outcome.detail };
    case 'InquiryFailed':
      if (PERMANENT_FAILURE_CODES.has(outcome.responseCode)) {
        return { type: 'MarkFailed', code: `BANK_${outcome.responseCode}`, reason: `bank reports the transfer failed (${outcome.responseCode})` };
      }
      return unlessExhausted(
        { type: 'RetryWithNewId', delayMs: backoff(attempts, policy), reason: `bank reports the transfer failed (${outcome.responseCode})` },
        `transfer failed at the bank (${outcome.responseCode})`,
      );
    case 'TransferDeferred':
      return unlessExhausted({ type: 'RetryWithNewId', delayMs: backoff(attempts, policy), reason: outcome.detail }, outcome.detail);
    case 'TransferOutcomeUnknown':
    case 'InquiryInProgress':
    case 'InquiryUnavailable':
      return unlessExhausted({ type: 'AwaitInquiry', delayMs: backoff(attempts, policy), reason: outcome.detail }, `outcome still unknown: ${outcome.detail}`);
    case 'InquiryNotFound':
      return unlessExhausted({ type: 'ResendSameId', reason: 'bank has no record of the transfer' }, 'transfer never reached the bank');
    default:
      return assertNever(outcome);
  }
}

/** The status a decision leads to. */
export function evolve(decision: Decision): PayoutStatus {
  switch (decision.type) {
    case 'MarkPaid':
      return 'PAID';
    case 'MarkFailed':
      return 'FAILED';
    case 'AwaitInquiry':
      return 'UNKNOWN';
    case 'ResendSameId':
    case 'RetryWithNewId':
      return 'PENDING';
    case 'EscalateToManualReview':
      return 'MANUAL_REVIEW';
    default:
      return assertNever(decision);
  }
}

/** Delay before the next call, doubling per attempt: integer milliseconds. */
export function backoff(attempts: number, policy: PayoutPolicy): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 20);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
}

function exhausted(attempts: number, elapsedMs: number, policy: PayoutPolicy): boolean {
  return attempts >= policy.maxAttempts || elapsedMs >= policy.deadlineMs;
}

function outOfBudget(attempts: number, elapsedMs: number, policy: PayoutPolicy): string {
  return attempts >= policy.maxAttempts
    ? `gave up after ${attempts} bank calls`
    : `gave up after ${Math.floor(elapsedMs / 1000)} s (deadline ${Math.floor(policy.deadlineMs / 1000)} s)`;
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
