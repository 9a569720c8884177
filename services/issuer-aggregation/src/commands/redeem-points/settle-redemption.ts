import { RedemptionReceipt, RedemptionRequest } from '../../connectors/issuer-connector';
import {
  AttemptOutcome as Attempt, classifyAttemptError, classifyInquiryResult, InquiryOutcome as Inquiry, SettlePolicy as Policy, SettlePorts as Ports,
  settleUnknownOutcome,
} from '../settle-unknown-outcome';

/** What one POST /redemptions told us. */
export type AttemptOutcome = Attempt<RedemptionReceipt, 'redeemed'>;

/** What one GET /redemptions/:idempotencyKey told us. */
export type InquiryOutcome = Inquiry<RedemptionReceipt>;

export type Settlement =
  | { kind: 'redeemed'; receipt: RedemptionReceipt }
  | { kind: 'failed'; code: string; reason: string }
  | { kind: 'unsettled'; reason: string };

export type SettlePorts = Ports<RedemptionReceipt, 'redeemed'>;
export type SettlePolicy = Policy;

export const ISSUER_UNAVAILABLE = 'ISSUER_UNAVAILABLE';
export const KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED';

/** A receipt under our key but for other content means the key was used for another redemption. */
function receiptMatches(request: RedemptionRequest, receipt: RedemptionReceipt): boolean {
  return receipt.program === request.program && receipt.points === request.points;
}

export function classifyAttempt(request: RedemptionRequest, result: { receipt: RedemptionReceipt } | { error: unknown }): AttemptOutcome {
  if (!('receipt' in result)) return classifyAttemptError(result.error);
  if (receiptMatches(request, result.receipt)) return { kind: 'redeemed', receipt: result.receipt };
  return { kind: 'refused', code: KEY_REUSED, reason: `the card company holds another redemption under key ${request.idempotencyKey}` };
}

export function classifyInquiry(request: RedemptionRequest, result: { receipt: RedemptionReceipt | null } | { error: unknown }): InquiryOutcome {
  return classifyInquiryResult(result, (receipt) => receiptMatches(request, receipt));
}

/**
 * Settles one redemption within a bounded time (see settleUnknownOutcome). At the deadline: nothing could have
 * reached the issuer → ISSUER_UNAVAILABLE; otherwise one last inquiry decides, and if even that goes unanswered
 * the redemption stays unsettled (the caller retries later).
 */
export async function settleRedemption(ports: SettlePorts, policy: SettlePolicy): Promise<Settlement> {
  const ended = await settleUnknownOutcome(ports, policy);
  if (ended.kind === 'settled') return { kind: 'redeemed', receipt: ended.receipt };
  if (ended.kind === 'refused') return { kind: 'failed', code: ended.code, reason: ended.reason };
  const { mayHaveReached, lastReason } = ended;
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
