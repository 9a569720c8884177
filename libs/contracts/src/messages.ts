import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, ArrayUnique, IsIn, IsInt, IsISO8601, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested,
} from 'class-validator';
import { ISSUERS, PROGRAM_CODES } from './catalogue';
import { TopicName } from './topics';

const MAX_POINTS = 1_000_000_000; // well inside Number.MAX_SAFE_INTEGER and any real balance

/** Commands that act for a person carry the identity service's signed assertion. */
abstract class ActsForPerson {
  @IsString()
  @Length(16, 4096)
  assertion!: string;
}

// ---- identity ---------------------------------------------------------------------------------

export class StartIdentityVerification {
  @IsString() @Length(1, 50) name!: string;
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'birthDate must be YYYY-MM-DD' }) birthDate!: string;
  @IsIn(['SKT', 'KT', 'LGU', 'MVNO']) carrier!: string;
  @Matches(/^01[016789]\d{7,8}$/, { message: 'phone must be a Korean mobile number, digits only' }) phone!: string;
}
export interface VerificationStarted { verificationId: string; expiresAt: string }

export class ConfirmIdentityVerification {
  @IsUUID() verificationId!: string;
  @Matches(/^\d{6}$/, { message: 'code must be six digits' }) code!: string;
}
export interface IdentityVerified { personId: string; assertion: string; assertionExpiresAt: string }

export class GrantConsent extends ActsForPerson {
  @IsIn(ISSUERS) issuer!: string;
}
/** Several card companies at once, as a consent screen grants them: one request instead of one per company. */
export class GrantConsents extends ActsForPerson {
  @ArrayMinSize(1) @ArrayMaxSize(ISSUERS.length) @ArrayUnique() @IsIn(ISSUERS, { each: true }) issuers!: string[];
}
export class RevokeConsent extends ActsForPerson {
  @IsIn(ISSUERS) issuer!: string;
}

export interface ConsentRecorded { issuer: string; status: 'GRANTED' | 'REVOKED'; at: string }

export class RegisterPayoutAccount extends ActsForPerson {
  @Matches(/^\d{3}$/, { message: 'bankCode must be three digits' }) bankCode!: string;
  @Matches(/^\d{10,14}$/, { message: 'accountNumber must be 10-14 digits' }) accountNumber!: string;
}
export interface PayoutAccountRegistered { accountId: string; status: 'VERIFIED' | 'REJECTED'; reason?: string }

/** Event: the identity service learned a person and consented issuer; carries ids only. */
export class ConsentGranted {
  @IsUUID() personId!: string;
  @Matches(/^[A-Za-z0-9+/=_-]{16,128}$/) ci!: string;
  @IsIn(ISSUERS) issuer!: string;
}

/** Event: a person withdrew consent; the card company is no longer queried for them. */
export class ConsentRevoked {
  @IsUUID() personId!: string;
  @IsIn(ISSUERS) issuer!: string;
}

/** Event: an own-name account passed the bank's real-name check. The account number travels sealed. */
export class PayoutAccountVerified {
  @IsUUID() personId!: string;
  @IsUUID() accountId!: string;
  @Matches(/^\d{3}$/) bankCode!: string;
  @IsString() @Length(16, 512) sealedAccountNumber!: string;
}

// ---- issuer aggregation -------------------------------------------------------------------------

export class LookupPoints extends ActsForPerson {}
export interface ProgramPoints {
  program: string;
  issuer: string;
  balance: number;
  wonValue: number;
  expiring: { date: string; points: number }[];
  status: 'FRESH' | 'STALE' | 'UNAVAILABLE';
  asOf: string | null;
}
export interface PointsOverview { programs: ProgramPoints[]; totalWon: number }

export class RedeemPoints {
  @IsUUID() partId!: string;
  @IsUUID() personId!: string;
  @IsIn(PROGRAM_CODES) program!: string;
  @IsInt() @Min(1) @Max(MAX_POINTS) points!: number;
  @IsString() @Length(8, 64) idempotencyKey!: string;
}

export class PointsRedeemed {
  @IsUUID() partId!: string;
  @IsIn(PROGRAM_CODES) program!: string;
  @IsInt() @Min(1) @Max(MAX_POINTS) points!: number;
  @IsString() @Length(1, 64) issuerTransactionId!: string;
}

export class PointsRedemptionFailed {
  @IsUUID() partId!: string;
  @IsString() @Length(1, 64) code!: string;
  @IsString() @Length(1, 500) reason!: string;
}

/** Gives redeemed points back to the card company after a payout failed for good (idempotent; retried until done). */
export class RefundPoints {
  @IsUUID() partId!: string;
  @IsUUID() personId!: string;
  @IsIn(PROGRAM_CODES) program!: string;
  @IsInt() @Min(1) @Max(MAX_POINTS) points!: number;
  @IsString() @Length(1, 64) redemptionTransactionId!: string;
  @IsString() @Length(8, 64) idempotencyKey!: string;
}

export class PointsRefunded {
  @IsUUID() partId!: string;
  @IsIn(PROGRAM_CODES) program!: string;
  @IsInt() @Min(1) @Max(MAX_POINTS) points!: number;
  @IsString() @Length(1, 64) refundId!: string;
}

export class IssuerBreakerStateChanged {
  @IsIn(ISSUERS) issuer!: string;
  @IsIn(['CLOSED', 'OPEN', 'HALF_OPEN']) state!: string;
  @IsISO8601() at!: string;
}

// ---- conversion ledger --------------------------------------------------------------------------

/**
 * The ledger's saga is full: its gate turned new cash-outs away in the last second, and took `taken`. Sent every
 * second while that lasts, never when it ends: the word holds for `validForMs` after it is heard.
 */
export class CashOutsTurnedAway {
  /** Cash-outs turned away since the last word. */
  @IsInt() @Min(1) turnedAway!: number;
  /** Cash-outs taken since the last word. */
  @IsInt() @Min(0) taken!: number;
  /** The time the two counts cover (about a second): the door turns them into cash-outs taken per second. */
  @IsInt() @Min(1) @Max(60_000) countedOverMs!: number;
  /** About how long a cash-out turned away now is asked to wait. */
  @IsInt() @Min(1) @Max(60_000) retryAfterMs!: number;
  @IsInt() @Min(1) @Max(60_000) validForMs!: number;
  @IsISO8601() at!: string;
}

export class CashOutPartRequest {
  @IsIn(PROGRAM_CODES) program!: string;
  @IsInt() @Min(1) @Max(MAX_POINTS) points!: number;
}

export class CashOut extends ActsForPerson {
  @IsString() @Length(8, 64) requestId!: string;
  @IsUUID() accountId!: string;
  @ValidateNested({ each: true })
  @Type(() => CashOutPartRequest)
  @ArrayMinSize(1)
  @ArrayMaxSize(12)
  parts!: CashOutPartRequest[];
}

export class QuoteCashOut extends ActsForPerson {
  @IsUUID() accountId!: string;
  @ValidateNested({ each: true })
  @Type(() => CashOutPartRequest)
  @ArrayMinSize(1)
  @ArrayMaxSize(12)
  parts!: CashOutPartRequest[];
}

export interface QuotePart {
  program: string;
  pointsRequested: number;
  pointsConsumed: number;
  won: number;
  /** IMMEDIATE, or SCHEDULED for release from `payoutFrom` (09:00 KST on the next business day). */
  payout: 'IMMEDIATE' | 'SCHEDULED';
  payoutFrom: string;
}
export interface CashOutQuote {
  quoteId: string;
  quotedAt: string;
  expiresAt: string;
  accountId: string;
  parts: QuotePart[];
  totalWon: number;
}

/** Confirms a quote: redeems exactly what was quoted. Idempotent on requestId like CashOut. */
export class ConfirmQuote extends ActsForPerson {
  @IsString() @Length(8, 64) requestId!: string;
  @IsUUID() quoteId!: string;
}

/** Operator commands carry the operator's name for the audit trail. */
abstract class OperatorCommand {
  @Matches(/^[a-z][a-z0-9._-]{1,63}$/, { message: 'operator must be a lowercase operator name' }) operator!: string;
}

export class ListManualReview extends OperatorCommand {}
export interface ManualReviewItem { partId: string; cashOutId: string; program: string; won: number; state: string; reason: string | null; since: string }

export const CASH_OUT_PART_STATES = ['REDEEMING', 'SCHEDULED', 'PAYING', 'PAID', 'REFUNDING', 'FAILED', 'MANUAL_REVIEW'] as const;
export type CashOutPartState = (typeof CASH_OUT_PART_STATES)[number];
export interface CashOutPartView {
  partId: string;
  program: string;
  pointsRequested: number;
  pointsConsumed: number;
  won: number;
  state: CashOutPartState;
  failureCode?: string;
  bankTransactionId?: string;
  /** When a scheduled payout will be released (09:00 KST on the next business day). */
  payoutFrom?: string;
}
export interface CashOutView {
  cashOutId: string;
  requestId: string;
  acceptedAt: string;
  state: 'IN_PROGRESS' | 'COMPLETED' | 'PARTIALLY_FAILED' | 'FAILED' | 'NEEDS_REVIEW';
  parts: CashOutPartView[];
}

/**
 * Pushed to the reply topic of the client that sent the CashOut (or ConfirmQuote) once every part of it has its
 * outcome for now: paid, failed, under review, or scheduled for the next business day's release. Sent again when a
 * later change (a scheduled payout released, a review resolved) leaves every part with an outcome once more, so a
 * caller need not poll GetCashOutStatus; at-least-once, like every message the outbox relays.
 */
export const CASH_OUT_RESOLVED = { type: 'CashOutResolved', version: 1, kind: 'event' } as const;
/** The part states a CashOutResolved notice waits for: each part has its outcome for now (a scheduled payout's release or a review's resolution may still move it). */
export const RESOLVED_PART_STATES: readonly CashOutPartState[] = ['PAID', 'FAILED', 'MANUAL_REVIEW', 'SCHEDULED'];
export function isResolvedState(state: string): state is CashOutPartState {
  return (RESOLVED_PART_STATES as readonly string[]).includes(state);
}

export class GetCashOutStatus extends ActsForPerson {
  @IsUUID() cashOutId!: string;
}

// ---- bank settlement ----------------------------------------------------------------------------

export class RequestPayout {
  @IsUUID() partId!: string;
  @IsUUID() personId!: string;
  @IsUUID() accountId!: string;
  @IsInt() @Min(1) @Max(MAX_POINTS) amountWon!: number;
  /** Whose cut-off applies. */
  @IsIn(ISSUERS) issuer!: string;
  /** When the system accepted the cash-out: the cut-off is judged by this, never by a caller's time. */
  @IsISO8601({ strict: true }) acceptedAt!: string;
  /** The verified account travels with the command (sealed), so settlement never waits on another topic for it. */
  @Matches(/^\d{3}$/) bankCode!: string;
  @IsString() @Length(16, 512) sealedAccountNumber!: string;
}

export class PayoutScheduled {
  @IsUUID() partId!: string;
  @IsISO8601() releaseAt!: string;
}

export class PayoutNeedsReview {
  @IsUUID() partId!: string;
  @IsString() @Length(1, 500) reason!: string;
}

export class ReleaseDuePayouts extends OperatorCommand {}
export interface PayoutsReleased { released: number }

export class PayoutSettled {
  @IsUUID() partId!: string;
  @IsInt() @Min(1) @Max(MAX_POINTS) amountWon!: number;
  @Matches(/^\d{8}$/) transferDate!: string;
  @Matches(/^[0-9A-Z]{10}U[0-9A-Z]{9}$/) bankTransactionId!: string;
  @IsISO8601() settledAt!: string;
}

export class PayoutFailed {
  @IsUUID() partId!: string;
  @IsString() @Length(1, 64) code!: string;
  @IsString() @Length(1, 500) reason!: string;
}

// ---- registry -----------------------------------------------------------------------------------

/**
 * Who may send a type. `edge`: anyone who can reach the topic (a person's commands carry the identity service's
 * assertion instead). `service` and `operator`: only holders of the services' key ring; the envelope must carry a
 * valid signature, because the edge writes to the same command topics and a topic cannot tell senders apart.
 */
export type MessageSender = 'edge' | 'service' | 'operator';

export interface MessageDefinition {
  type: string;
  version: number;
  kind: 'command' | 'event';
  topic: TopicName;
  payload: new () => object;
  description: string;
  sender: MessageSender;
}

function command(payload: new () => object, topic: TopicName, description: string, sender: MessageSender = 'edge'): MessageDefinition {
  return { type: payload.name, version: 1, kind: 'command', topic, payload, description, sender };
}
/** Events are only ever emitted by services. */
function event(payload: new () => object, topic: TopicName, description: string): MessageDefinition {
  return { type: payload.name, version: 1, kind: 'event', topic, payload, description, sender: 'service' };
}

/** True when the transport must refuse the type unless its envelope is signed with the services' key ring. */
export function mustBeSigned(definition: MessageDefinition): boolean {
  return definition.sender !== 'edge';
}

/** Every message type, its current version and its topic. Consumers reject anything not here. */
export const MESSAGES: readonly MessageDefinition[] = [
  command(StartIdentityVerification, 'identityCommands', 'Start a mobile identity verification; a one-time code goes to the phone.'),
  command(ConfirmIdentityVerification, 'identityCommands', 'Confirm the one-time code; returns the person id and a signed identity assertion.'),
  command(GrantConsent, 'identityCommands', 'Allow Pointsweep to query one card company for the person.'),
  command(GrantConsents, 'identityCommands', 'Allow Pointsweep to query several card companies for the person at once.'),
  command(RegisterPayoutAccount, 'identityCommands', 'Register an own-name bank account; the bank checks the holder.'),
  // Consent goes onto the card-company service's own command stream, keyed by person like every lookup and
  // redemption: the person's later commands land behind it in the same partition, so it is always seen first.
  event(ConsentGranted, 'issuerCommands', 'A person consented to queries of one card company.'),
  // On the ledger's own command stream, keyed by person like every cash-out: the person's cash-out to a new account
  // lands behind its verification in the same partition. Signed by identity, as every event is.
  event(PayoutAccountVerified, 'ledgerCommands', 'A payout account passed the real-name check.'),
  command(RevokeConsent, 'identityCommands', 'Withdraw consent to query one card company.'),
  event(ConsentRevoked, 'issuerCommands', 'A person withdrew consent for one card company.'),
  command(LookupPoints, 'issuerCommands', 'Look up the points of every consented program.'),
  command(RedeemPoints, 'issuerCommands', 'Redeem points at the card company for one cash-out part (idempotent).', 'service'),
  event(PointsRedeemed, 'issuerEvents', 'The card company redeemed the points of a cash-out part.'),
  event(PointsRedemptionFailed, 'issuerEvents', 'The card company refused the redemption for good.'),
  command(RefundPoints, 'issuerCommands', 'Give redeemed points back after a payout failed for good (idempotent).', 'service'),
  event(PointsRefunded, 'issuerEvents', 'The card company took the points back.'),
  event(IssuerBreakerStateChanged, 'issuerEvents', 'A card company connector\'s circuit breaker opened, half-opened or closed.'),
  command(CashOut, 'ledgerCommands', 'Sweep one or more programs to cash; idempotent on requestId.'),
  // Read by every identity instance (each with a group of its own): while the saga turns away more cash-outs than it
  // takes, the door narrows to the same ratio, before the rest onboard only to be told "busy" at the end.
  event(CashOutsTurnedAway, 'ledgerEvents', 'The saga turned new cash-outs away in the last second (and took some); sent every second while it does.'),
  command(GetCashOutStatus, 'ledgerCommands', 'Read the state of a cash-out and its parts.'),
  command(QuoteCashOut, 'ledgerCommands', 'Quote what a cash-out would consume and pay, and when; valid until it expires.'),
  command(ConfirmQuote, 'ledgerCommands', 'Redeem exactly what a quote says; idempotent on requestId.'),
  command(ListManualReview, 'ledgerCommands', 'Operator: list cash-out parts no rule could settle.', 'operator'),
  command(RequestPayout, 'settlementCommands', 'Pay a cash-out part into the person\'s verified account.', 'service'),
  event(PayoutSettled, 'settlementEvents', 'The bank confirmed the transfer.'),
  event(PayoutFailed, 'settlementEvents', 'The transfer failed for good.'),
  event(PayoutScheduled, 'settlementEvents', 'The payout waits for the next business day (cut-off or holiday).'),
  event(PayoutNeedsReview, 'settlementEvents', 'No rule could settle the payout; an operator must look.'),
  command(ReleaseDuePayouts, 'settlementCommands', 'Operator: release scheduled payouts now.', 'operator'),
];

export function messageDefinition(type: string): MessageDefinition | undefined {
  return MESSAGES.find((m) => m.type === type);
}

/** Event payloads by type, for typed handlers: @EventPattern<EventPayloads>('PointsRedeemed'). */
export interface EventPayloads {
  ConsentGranted: ConsentGranted;
  PayoutAccountVerified: PayoutAccountVerified;
  PointsRedeemed: PointsRedeemed;
  PointsRedemptionFailed: PointsRedemptionFailed;
  PayoutSettled: PayoutSettled;
  PayoutFailed: PayoutFailed;
  ConsentRevoked: ConsentRevoked;
  PointsRefunded: PointsRefunded;
  IssuerBreakerStateChanged: IssuerBreakerStateChanged;
  CashOutsTurnedAway: CashOutsTurnedAway;
  PayoutScheduled: PayoutScheduled;
  PayoutNeedsReview: PayoutNeedsReview;
}
