import { CashOutPartState } from '@pointsweep/contracts';

/** The life of one cash-out part, as events; state is derived by evolve, decisions by decide. */
export type PartEvent =
  | { type: 'PartAccepted'; pointsConsumed: number; won: number }
  | { type: 'PartRedeemed'; issuerTransactionId: string }
  | { type: 'PartRedemptionFailed'; code: string; reason: string }
  | { type: 'PartScheduled'; releaseAt: string }
  | { type: 'PartPaid'; bankTransactionId: string; transferDate: string }
  | { type: 'PartPayoutFailed'; code: string; reason: string }
  | { type: 'PartRefunded'; refundId: string }
  | { type: 'PartNeedsReview'; reason: string };

export interface PartState {
  state: CashOutPartState | 'NEW';
  pointsConsumed: number;
  won: number;
  failureCode?: string;
  bankTransactionId?: string;
  transferDate?: string;
  payoutFrom?: string;
  reviewReason?: string;
  /** The card company has confirmed the redemption (there is a REDEMPTION journal). */
  redeemed?: boolean;
}

export const initialPart: PartState = { state: 'NEW', pointsConsumed: 0, won: 0 };

export function evolve(part: PartState, event: PartEvent): PartState {
  switch (event.type) {
    case 'PartAccepted':
      return { ...part, state: 'REDEEMING', pointsConsumed: event.pointsConsumed, won: event.won };
    case 'PartRedeemed':
      return { ...part, state: 'PAYING', redeemed: true };
    case 'PartRedemptionFailed':
      return { ...part, state: 'FAILED', failureCode: event.code };
    case 'PartScheduled':
      return { ...part, state: 'SCHEDULED', payoutFrom: event.releaseAt };
    case 'PartPaid':
      return { ...part, state: 'PAID', bankTransactionId: event.bankTransactionId, transferDate: event.transferDate };
    case 'PartPayoutFailed':
      // The points go back to the card company before the part can end.
      return { ...part, state: 'REFUNDING', failureCode: event.code };
    case 'PartRefunded':
      return { ...part, state: 'FAILED' };
    case 'PartNeedsReview':
      return { ...part, state: 'MANUAL_REVIEW', reviewReason: event.reason };
    default: {
      const unexpected: never = event;
      throw new Error(`unknown part event ${JSON.stringify(unexpected)}`);
    }
  }
}

/** Which states each event may arrive in; anything else is a duplicate or out-of-order message and is ignored. */
const ALLOWED_FROM: Record<PartEvent['type'], PartState['state'][]> = {
  PartAccepted: ['NEW'],
  PartRedeemed: ['REDEEMING'],
  PartRedemptionFailed: ['REDEEMING'],
  PartScheduled: ['PAYING'],
  PartPaid: ['PAYING', 'SCHEDULED', 'MANUAL_REVIEW'],
  PartPayoutFailed: ['PAYING', 'SCHEDULED', 'MANUAL_REVIEW'],
  PartRefunded: ['REFUNDING', 'MANUAL_REVIEW'],
  PartNeedsReview: ['REDEEMING', 'PAYING', 'SCHEDULED', 'REFUNDING'],
};

/**
 * A part sent to review while waiting for its card company still takes the company's late answer: points that were
 * redeemed must be paid (or refunded), never left unaccounted for.
 */
const LATE_REDEMPTION_ANSWERS = new Set<PartEvent['type']>(['PartRedeemed', 'PartRedemptionFailed']);

/** Returns the events to record (none when the event does not apply to the part's current state). */
export function decide(part: PartState, event: PartEvent): PartEvent[] {
  if (ALLOWED_FROM[event.type].includes(part.state)) return [event];
  if (part.state === 'MANUAL_REVIEW' && !part.redeemed && LATE_REDEMPTION_ANSWERS.has(event.type)) return [event];
  return [];
}

/** States no automatic rule moves on from; MANUAL_REVIEW waits for an operator, visibly. */
export function isTerminal(state: PartState['state']): boolean {
  return state === 'PAID' || state === 'FAILED' || state === 'MANUAL_REVIEW';
}

/** The request's state follows from its parts. */
export function cashOutState(parts: PartState['state'][]): 'IN_PROGRESS' | 'COMPLETED' | 'PARTIALLY_FAILED' | 'FAILED' | 'NEEDS_REVIEW' {
  if (!parts.every(isTerminal)) return 'IN_PROGRESS';
  if (parts.some((s) => s === 'MANUAL_REVIEW')) return 'NEEDS_REVIEW';
  if (parts.every((s) => s === 'PAID')) return 'COMPLETED';
  if (parts.every((s) => s === 'FAILED')) return 'FAILED';
  return 'PARTIALLY_FAILED';
}
