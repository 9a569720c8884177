import { EntityManager } from 'typeorm';
import { CashOutPartState, CashOutView } from '@pointsweep/contracts';
import { cashOutState, PartState } from './domain/cash-out-part';

interface PartRow {
  id: string;
  cash_out_id: string;
  person_id: string;
  program: string;
  points_requested: string;
  points_consumed: string;
  won: string;
  state: CashOutPartState;
  failure_code: string | null;
  bank_transaction_id: string | null;
  transfer_date: string | null;
  payout_from: Date | null;
  review_reason: string | null;
  issuer_transaction_id: string | null;
}

export interface StoredPart {
  id: string;
  cashOutId: string;
  personId: string;
  accountId: string;
  program: string;
  acceptedAt: Date;
  correlationId: string | null;
  issuerTransactionId: string | null;
  account: { bankCode: string; sealedAccountNumber: string };
  state: PartState;
}

export async function loadCashOutView(tx: EntityManager, cashOutId: string): Promise<(CashOutView & { personId: string }) | undefined> {
  const [cashOut]: { id: string; person_id: string; request_id: string; accepted_at: Date }[] = await tx.query(
    `SELECT id, person_id, request_id, accepted_at FROM cash_outs WHERE id = $1`,
    [cashOutId],
  );
  if (!cashOut) return undefined;
  const parts: PartRow[] = await tx.query(`SELECT * FROM cash_out_parts WHERE cash_out_id = $1 ORDER BY program`, [cashOutId]);
  return {
    cashOutId: cashOut.id,
    personId: cashOut.person_id,
    requestId: cashOut.request_id,
    acceptedAt: new Date(cashOut.accepted_at).toISOString(),
    state: cashOutState(parts.map((p) => p.state)),
    parts: parts.map((p) => ({
      partId: p.id,
      program: p.program,
      pointsRequested: Number(p.points_requested),
      pointsConsumed: Number(p.points_consumed),
      won: Number(p.won),
      state: p.state,
      ...(p.failure_code ? { failureCode: p.failure_code } : {}),
      ...(p.bank_transaction_id ? { bankTransactionId: p.bank_transaction_id } : {}),
      ...(p.payout_from ? { payoutFrom: new Date(p.payout_from).toISOString() } : {}),
    })),
  };
}

/** Loads a part for update, so two messages about one part are applied one after the other. */
export async function lockPart(tx: EntityManager, partId: string): Promise<StoredPart | undefined> {
  const [row]: (PartRow & { account_id: string; accepted_at: Date; correlation_id: string | null; bank_code: string; sealed_account_number: string })[] = await tx.query(
    `SELECT p.*, c.account_id, c.accepted_at, c.correlation_id, a.bank_code, a.sealed_account_number
       FROM cash_out_parts p JOIN cash_outs c ON c.id = p.cash_out_id JOIN payout_accounts a ON a.account_id = c.account_id
      WHERE p.id = $1 FOR UPDATE OF p`,
    [partId],
  );
  if (!row) return undefined;
  return {
    id: row.id,
    cashOutId: row.cash_out_id,
    personId: row.person_id,
    accountId: row.account_id,
    program: row.program,
    acceptedAt: new Date(row.accepted_at),
    correlationId: row.correlation_id,
    issuerTransactionId: row.issuer_transaction_id,
    account: { bankCode: row.bank_code, sealedAccountNumber: row.sealed_account_number },
    state: {
      state: row.state,
      pointsConsumed: Number(row.points_consumed),
      won: Number(row.won),
      failureCode: row.failure_code ?? undefined,
      bankTransactionId: row.bank_transaction_id ?? undefined,
      transferDate: row.transfer_date ?? undefined,
      payoutFrom: row.payout_from ? new Date(row.payout_from).toISOString() : undefined,
      reviewReason: row.review_reason ?? undefined,
      redeemed: row.issuer_transaction_id !== null,
    },
  };
}

export async function savePart(tx: EntityManager, partId: string, part: PartState, at: Date, extra: { failureReason?: string; issuerTransactionId?: string; releasesDailyLimit?: boolean } = {}): Promise<void> {
  await tx.query(
    `UPDATE cash_out_parts SET state = $2, failure_code = $3, bank_transaction_id = $4, updated_at = $5,
       failure_reason = COALESCE($6, failure_reason), issuer_transaction_id = COALESCE($7, issuer_transaction_id),
       counts_for_daily_limit = counts_for_daily_limit AND NOT $8,
       transfer_date = $9, payout_from = $10, review_reason = $11, nudges = 0
     WHERE id = $1`,
    [
      partId, part.state, part.failureCode ?? null, part.bankTransactionId ?? null, at, extra.failureReason ?? null,
      extra.issuerTransactionId ?? null, extra.releasesDailyLimit ?? false, part.transferDate ?? null, part.payoutFrom ?? null,
      part.reviewReason ?? null,
    ],
  );
}
