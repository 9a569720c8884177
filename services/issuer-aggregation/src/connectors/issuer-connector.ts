import { IssuerCode } from '@pointsweep/contracts';

export interface ExpiringPoints {
  date: string;
  points: number;
}

/** One program's points as the card company reported them, already normalised (quirks applied). */
export interface FetchedProgram {
  program: string;
  balance: number;
  expiring: ExpiringPoints[];
}

export interface IssuerPoints {
  asOf: string;
  programs: FetchedProgram[];
}

export interface RedemptionRequest {
  idempotencyKey: string;
  ci: string;
  program: string;
  points: number;
}

export interface RedemptionReceipt {
  transactionId: string;
  program: string;
  points: number;
}

/** Gives redeemed points back; the same key with the same content gets the same answer. */
export interface RefundRequest {
  idempotencyKey: string;
  ci: string;
  program: string;
  points: number;
  redemptionTransactionId: string;
}

/** The card company's refund result; the fields besides refundId are checked against the request when present. */
export interface RefundReceipt {
  refundId: string;
  balanceAfter?: number;
  program?: string;
  points?: number;
  redemptionTransactionId?: string;
}

/**
 * One card company. Failures are PointsweepErrors: retriable = the company is unwell or the outcome is unknown
 * (counts against its breaker); not retriable = a business answer such as INSUFFICIENT_POINTS (does not).
 */
export interface IssuerConnector {
  readonly issuer: IssuerCode;
  fetchPoints(ci: string, signal: AbortSignal): Promise<IssuerPoints>;
  redeem(request: RedemptionRequest, signal: AbortSignal): Promise<RedemptionReceipt>;
  /** The stored result of a redemption by its idempotency key; null when it never happened. */
  findRedemption(idempotencyKey: string, signal: AbortSignal): Promise<RedemptionReceipt | null>;
  /** Refusals (REDEMPTION_NOT_FOUND, REFUND_EXCEEDS_REDEMPTION, IDEMPOTENCY_KEY_REUSED) are non-retriable. */
  refund(request: RefundRequest, signal: AbortSignal): Promise<RefundReceipt>;
  /** The stored result of a refund by its idempotency key; null when it never happened. */
  findRefund(idempotencyKey: string, signal: AbortSignal): Promise<RefundReceipt | null>;
}
