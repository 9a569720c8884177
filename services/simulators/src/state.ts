import type { Lot } from './seeding';

/** Everything the simulators remember. Changed only by apply(), both live and when the journal is replayed. */

export interface Verification {
  transactionId: string;
  name: string;
  birthDate: string;
  carrier: string;
  phone: string;
  code: string;
  createdAt: string;
  expiresAt: string;
  failedAttempts: number;
  ci?: string;
}

export interface RedemptionResult {
  transactionId: string;
  issuer: string;
  program: string;
  points: number;
  balanceAfter: number;
  consumed: Lot[];
  redeemedAt: string;
}

export interface RefundResult {
  refundId: string;
  issuer: string;
  program: string;
  points: number;
  redemptionTransactionId: string;
  balanceAfter: number;
  refundedAt: string;
}

export interface StoredCall<R> {
  fingerprint: string;
  result: R;
}

export interface MemberProgram {
  /** Set through the admin API; otherwise the seeded balance applies. */
  balance?: number;
  redeemed: number;
  refunded: number;
}

export interface BankAccount {
  bankCode: string;
  accountNumber: string;
  holderName: string;
  birthDate: string;
  canReceive: boolean;
}

export interface Transfer {
  transactionId: string;
  transferDate: string;
  bankCode: string;
  accountNumber: string;
  amountWon: number;
  status: 'COMPLETED' | 'FAILED';
  responseCode: string;
  recordedAt: string;
}

export type JournalRecord =
  | { t: 'carrier.sent'; v: Omit<Verification, 'failedAttempts' | 'ci'> }
  | { t: 'carrier.failed'; transactionId: string }
  | { t: 'carrier.confirmed'; transactionId: string; ci: string }
  | { t: 'points.balance'; program: string; ci: string; balance: number }
  | { t: 'points.redeemed'; key: string; fingerprint: string; ci: string; result: RedemptionResult }
  | { t: 'points.refunded'; key: string; fingerprint: string; ci: string; result: RefundResult }
  | { t: 'bank.account'; account: BankAccount }
  | { t: 'bank.transfer'; transfer: Transfer };

export const memberKey = (program: string, ci: string) => `${program}|${ci}`;
export const callKey = (issuer: string, idempotencyKey: string) => `${issuer}|${idempotencyKey}`;
export const accountKey = (bankCode: string, accountNumber: string) => `${bankCode}|${accountNumber}`;
export const transferKey = (transferDate: string, transactionId: string) => `${transferDate}|${transactionId}`;

export class State {
  readonly verifications = new Map<string, Verification>();
  /** phone → transaction id of the latest code sent to it. */
  readonly inbox = new Map<string, string>();
  readonly members = new Map<string, MemberProgram>();
  readonly redemptions = new Map<string, StoredCall<RedemptionResult>>();
  /** redemption transaction id → ci and points already refunded against it. */
  readonly redemptionsById = new Map<string, { ci: string; result: RedemptionResult; refunded: number }>();
  readonly refunds = new Map<string, StoredCall<RefundResult>>();
  readonly accounts = new Map<string, BankAccount>();
  readonly transfers = new Map<string, Transfer>();

  member(program: string, ci: string): MemberProgram {
    const key = memberKey(program, ci);
    let m = this.members.get(key);
    if (!m) {
      m = { redeemed: 0, refunded: 0 };
      this.members.set(key, m);
    }
    return m;
  }

  apply(r: JournalRecord): void {
    switch (r.t) {
      case 'carrier.sent':
        this.verifications.set(r.v.transactionId, { ...r.v, failedAttempts: 0 });
        this.inbox.set(r.v.phone, r.v.transactionId);
        return;
      case 'carrier.failed': {
        const v = this.verifications.get(r.transactionId);
        if (v) v.failedAttempts++;
        return;
      }
      case 'carrier.confirmed': {
        const v = this.verifications.get(r.transactionId);
        if (v) v.ci = r.ci;
        return;
      }
      case 'points.balance':
        this.member(r.program, r.ci).balance = r.balance;
        return;
      case 'points.redeemed':
        this.member(r.result.program, r.ci).redeemed += r.result.points;
        this.redemptions.set(callKey(r.result.issuer, r.key), { fingerprint: r.fingerprint, result: r.result });
        this.redemptionsById.set(r.result.transactionId, { ci: r.ci, result: r.result, refunded: 0 });
        return;
      case 'points.refunded': {
        this.member(r.result.program, r.ci).refunded += r.result.points;
        this.refunds.set(callKey(r.result.issuer, r.key), { fingerprint: r.fingerprint, result: r.result });
        const red = this.redemptionsById.get(r.result.redemptionTransactionId);
        if (red) red.refunded += r.result.points;
        return;
      }
      case 'bank.account':
        this.accounts.set(accountKey(r.account.bankCode, r.account.accountNumber), r.account);
        return;
      case 'bank.transfer':
        this.transfers.set(transferKey(r.transfer.transferDate, r.transfer.transactionId), r.transfer);
        return;
      default:
        throw new Error(`unknown journal record ${(r as { t: string }).t}`);
    }
  }
}
