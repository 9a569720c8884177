import { CashOutPartState } from '@pointsweep/contracts';

/** The life of one cash-out part, as events; state is derived by evolve, decisions by decide. */
export type PartEvent =
  | { type: 'PartAccepted'; pointsConsumed: number; won: number }
  | { type: 'PartRedeemed'; issuerTransactionId: string }
  | { type: 'PartRedemptionFailed'; code: string; reason: string }
  | { type: 'PartPaid'; bankTransactionId: string }
  | { type: 'PartPayoutFailed'; code: string; reason: string };

export interface PartState {
  state: CashOutPartState | 'NEW';
  pointsConsumed: number;
  won: number;
  failureCode?: string;
  bankTransactionId?: string;
}

export const initialPart: PartState = { state: 'NEW', pointsConsumed: 0, won: 0 };

export function evolve(part: PartState, event: PartEvent): PartState {
  switch (event.type) {
    case 'PartAccepted':
      return { ...part, state: 'REDEEMING', pointsConsumed: event.pointsConsumed, won: event.won };
    case 'PartRedeemed':
      return { ...part, state: 'PAYING' };
    case 'PartRedemptionFailed':
      return { ...part, state: 'FAILED', failureCode: event.code };
    case 'PartPaid':
      return { ...part, state: 'PAID', bankTransactionId: event.bankTransactionId };
    case 'PartPayoutFailed':
      return { ...part, state: 'FAILED', failureCode: event.code };
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
  PartPaid: ['PAYING'],
  PartPayoutFailed: ['PAYING'],
};

/** Returns the events to record (none when the event does not apply to the part's current state). */
export function decide(part: PartState, event: PartEvent): PartEvent[] {
  return ALLOWED_FROM[event.type].includes(part.state) ? [event] : [];
}

export function isTerminal(state: PartState['state']): boolean {
  return state === 'PAID' || state === 'FAILED';
}

/** The request's state follows from its parts. */
export function cashOutState(parts: PartState['state'][]): 'IN_PROGRESS' | 'COMPLETED' | 'PARTIALLY_FAILED' | 'FAILED' {
  if (!parts.every(isTerminal)) return 'IN_PROGRESS';
  if (parts.every((s) => s === 'PAID')) return 'COMPLETED';
  if (parts.every((s) => s === 'FAILED')) return 'FAILED';
  return 'PARTIALLY_FAILED';
}
