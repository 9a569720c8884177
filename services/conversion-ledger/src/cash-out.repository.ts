import { EntityManager } from 'typeorm';
import { CashOutPartState, CashOutView, RESOLVED_PART_STATES } from '@pointsweep/contracts';
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
  payout_from: Date | string | null;
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
  /** The reply topic its CashOutResolved notice goes to (none for cash-outs from before notices). */
  notifyTopic: string | null;
  issuerTransactionId: string | null;
  account: { bankCode: string; sealedAccountNumber: string };
  state: PartState;
}

/** A cash-out and its parts, in one round trip (a status poll runs this for every person waiting on a sweep). */
export async function loadCashOutView(tx: EntityManager, cashOutId: string): Promise<(CashOutView & { personId: string }) | undefined> {
  const [cashOut]: { id: string; person_id: string; request_id: string; accepted_at: Date; parts: PartRow[] }[] = await tx.query(
    `SELECT c.id, c.person_id, c.request_id, c.accepted_at,
            coalesce((SELECT json_agg(p ORDER BY p.program) FROM cash_out_parts p WHERE p.cash_out_id = c.id), '[]'::json) AS parts
       FROM cash_outs c WHERE c.id = $1`,
    [cashOutId],
  );
  if (!cashOut) return undefined;
  return cashOutViewOf(cashOut, cashOut.parts);
}

/** The view of a cash-out from its row and its part rows (in program order). */
export function cashOutViewOf(
  cashOut: { id: string; person_id: string; request_id: string; accepted_at: Date | string },
  parts: Pick<PartRow, 'id' | 'program' | 'points_requested' | 'points_consumed' | 'won' | 'state' | 'failure_code' | 'bank_transaction_id' | 'payout_from'>[],
): CashOutView & { personId: string } {
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

type LockedPartRow = PartRow & { account_id: string; accepted_at: Date; correlation_id: string | null; notify_topic: string | null; bank_code: string; sealed_account_number: string };

/**
 * Loads parts for update, so two messages about one part are applied one after the other; locked in id order,
 * so two transactions locking overlapping parts cannot deadlock. Unknown ids are left out.
 */
export async function lockParts(tx: EntityManager, partIds: string[]): Promise<StoredPart[]> {
  // Columns named, not p.*: a column a later migration adds must not change a prepared statement's result type.
  const rows: LockedPartRow[] = await tx.query(
    `SELECT p.id, p.cash_out_id, p.person_id, p.program, p.points_requested, p.points_consumed, p.won, p.state, p.failure_code,
            p.bank_transaction_id, p.transfer_date, p.payout_from, p.review_reason, p.issuer_transaction_id,
            c.account_id, c.accepted_at, c.correlation_id, c.notify_topic, a.bank_code, a.sealed_account_number
       FROM cash_out_parts p JOIN cash_outs c ON c.id = p.cash_out_id JOIN payout_accounts a ON a.account_id = c.account_id
      WHERE p.id = ANY($1::uuid[]) ORDER BY p.id FOR UPDATE OF p`,
    [partIds],
  );
  return rows.map(storedPartOf);
}

function storedPartOf(row: LockedPartRow): StoredPart {
  return {
    id: row.id,
    cashOutId: row.cash_out_id,
    personId: row.person_id,
    accountId: row.account_id,
    program: row.program,
    acceptedAt: new Date(row.accepted_at),
    correlationId: row.correlation_id,
    notifyTopic: row.notify_topic,
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

export interface PartSave {
  partId: string;
  part: PartState;
  at: Date;
  failureReason?: string;
  issuerTransactionId?: string;
  releasesDailyLimit?: boolean;
}

/** Saves parts, each at most once, in one statement. */
export async function saveParts(tx: EntityManager, saves: PartSave[]): Promise<void> {
  if (saves.length === 0) return;
  await tx.query(
    `UPDATE cash_out_parts p SET state = u.state, failure_code = u.failure_code, bank_transaction_id = u.bank_transaction_id, updated_at = u.updated_at,
       failure_reason = COALESCE(u.failure_reason, p.failure_reason), issuer_transaction_id = COALESCE(u.issuer_transaction_id, p.issuer_transaction_id),
       counts_for_daily_limit = p.counts_for_daily_limit AND NOT u.releases_daily_limit,
       transfer_date = u.transfer_date, payout_from = u.payout_from, review_reason = u.review_reason, nudges = 0
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::boolean[], $9::text[], $10::timestamptz[], $11::text[])
       AS u(id, state, failure_code, bank_transaction_id, updated_at, failure_reason, issuer_transaction_id, releases_daily_limit, transfer_date, payout_from, review_reason)
     WHERE p.id = u.id`,
    [
      saves.map((s) => s.partId), saves.map((s) => s.part.state), saves.map((s) => s.part.failureCode ?? null), saves.map((s) => s.part.bankTransactionId ?? null),
      saves.map((s) => s.at), saves.map((s) => s.failureReason ?? null), saves.map((s) => s.issuerTransactionId ?? null),
      saves.map((s) => s.releasesDailyLimit ?? false), saves.map((s) => s.part.transferDate ?? null), saves.map((s) => s.part.payoutFrom ?? null),
      saves.map((s) => s.part.reviewReason ?? null),
    ],
  );
}

/**
 * The views of those cash-outs whose every part now has its outcome (RESOLVED_PART_STATES) and that have a reply
 * topic to be told on. Their rows are locked first, in id order, and the parts read after, in a statement of their
 * own: of two transactions resolving a cash-out's last two parts side by side, the second to take the lock sees the
 * first's part committed, so one of them always sees the cash-out resolved.
 */
export async function resolvedCashOuts(
  tx: EntityManager, cashOutIds: string[],
): Promise<{ view: CashOutView; personId: string; notifyTopic: string; correlationId: string | null }[]> {
  if (cashOutIds.length === 0) return [];
  await tx.query(`SELECT id FROM cash_outs WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [cashOutIds]);
  const rows: { id: string; person_id: string; request_id: string; accepted_at: Date; notify_topic: string; correlation_id: string | null; parts: PartRow[] }[] = await tx.query(
    `SELECT c.id, c.person_id, c.request_id, c.accepted_at, c.notify_topic, c.correlation_id, json_agg(p ORDER BY p.program) AS parts
       FROM cash_outs c JOIN cash_out_parts p ON p.cash_out_id = c.id
      WHERE c.id = ANY($1::uuid[]) AND c.notify_topic IS NOT NULL
      GROUP BY c.id HAVING bool_and(p.state = ANY($2::text[]))`,
    [cashOutIds, RESOLVED_PART_STATES],
  );
  return rows.map((row) => {
    const { personId, ...view } = cashOutViewOf(row, row.parts);
    return { view, personId, notifyTopic: row.notify_topic, correlationId: row.correlation_id };
  });
}
