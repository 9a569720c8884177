import { RefundReceipt, RefundRequest } from '../../connectors/issuer-connector';
import {
  AttemptOutcome as Attempt, classifyAttemptError, classifyInquiryResult, InquiryOutcome as Inquiry, SettlePolicy as Policy, SettlePorts as Ports,
  settleUnknownOutcome,
} from '../settle-unknown-outcome';

/** What one POST /refunds told us. */
export type RefundAttemptOutcome = Attempt<RefundReceipt, 'refunded'>;

/** What one GET /refunds/:idempotencyKey told us. */
export type RefundInquiryOutcome = Inquiry<RefundReceipt>;

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

/** A receipt is ours when every field the card company echoes matches what we asked for. */
export function refundReceiptMatches(request: RefundRequest, receipt: RefundReceipt): boolean {
  return (receipt.program === undefined || receipt.program === request.program)
    && (receipt.points === undefined || receipt.points === request.points)
    && (receipt.redemptionTransactionId === undefined || receipt.redemptionTransactionId === request.redemptionTransactionId);
}

export function classifyRefundAttempt(request: RefundRequest, result: { receipt: RefundReceipt } | { error: unknown }): RefundAttemptOutcome {
  if (!('receipt' in result)) return classifyAttemptError(result.error);
  if (refundReceiptMatches(request, result.receipt)) return { kind: 'refunded', receipt: result.receipt };
  return { kind: 'refused', code: REFUND_KEY_REUSED, reason: `the card company holds another refund under key ${request.idempotencyKey}` };
}

export function classifyRefundInquiry(request: RefundRequest, result: { receipt: RefundReceipt | null } | { error: unknown }): RefundInquiryOutcome {
  return classifyInquiryResult(result, (receipt) => refundReceiptMatches(request, receipt));
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

export type RefundPorts = Ports<RefundReceipt, 'refunded'>;
/** deadlineMs: how long this run keeps trying before it hands back a pending (retriable) outcome. */
export type RefundPolicy = Policy;

/**
 * Settles one refund as far as this run can (see settleUnknownOutcome). A refund is never given up: when the
 * deadline passes it is pending, without a last inquiry, and the caller retries later.
 */
export async function settleRefund(ports: RefundPorts, policy: RefundPolicy): Promise<RefundSettlement> {
  const ended = await settleUnknownOutcome(ports, policy);
  if (ended.kind === 'settled') return { kind: 'refunded', receipt: ended.receipt };
  if (ended.kind === 'refused') return { kind: 'refused', code: ended.code, reason: ended.reason };
  return ended.mayHaveReached
    ? { kind: 'pending', code: REFUND_OUTCOME_UNKNOWN, reason: `refund outcome still unknown: ${ended.lastReason}` }
    : { kind: 'pending', code: REFUND_ISSUER_UNAVAILABLE, reason: `the card company could not be reached: ${ended.lastReason}` };
}
