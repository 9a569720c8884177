import { DataSource } from 'typeorm';
import { messageDefinition, PayoutFailed, PayoutNeedsReview, PayoutSettled, Topics } from '@pointsweep/contracts';
import { buildEnvelope, OUTBOX_COLUMNS, outboxValuesOf, PendingMessage } from '@pointsweep/messaging';
import { allocateBankTransactionId, transferDateOf } from './bank-transaction-id';
import { ActivePayout, assertNever, BankCall, BankOutcome, Decision, evolve, PayoutStatus } from './payout-decision';

/** A payout reserved for this worker until its lease runs out. */
export interface ClaimedPayout extends ActivePayout {
  personId: string;
  bankCode: string;
  sealedAccountNumber: string;
  leaseToken: string;
  correlationId: string;
  causationId: string;
}

interface ClaimedRow {
  part_id: string;
  person_id: string;
  amount_won: string;
  status: 'PENDING' | 'UNKNOWN';
  transfer_date: string;
  bank_transaction_id: string;
  attempts: number;
  elapsed_ms: string;
  lease_token: string;
  correlation_id: string;
  causation_id: string;
  bank_code: string;
  sealed_account_number: string;
}

export interface Recorded {
  /** False when the lease was lost to another worker meanwhile; nothing was written. */
  applied: boolean;
  status?: PayoutStatus;
  /** The id the next call will use, when a fresh one was allocated. */
  newBankTransactionId?: string;
}

/**
 * The worker's database side. Leases and retry times use the database's clock (real time shared by all
 * instances); business times (transfer date, settledAt) come from the injected clock.
 */
export class PayoutStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly topics: Topics,
  ) {}

  /** Short transaction: due payouts nobody holds get a lease; SKIP LOCKED keeps two instances off the same row. */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedPayout[]> {
    const result: unknown = await this.dataSource.query(
      `UPDATE payouts p
          SET lease_until = now() + ($1::bigint * interval '1 millisecond'), lease_token = gen_random_uuid()
         FROM (SELECT p2.part_id, a.bank_code, a.sealed_account_number
                 FROM payouts p2 JOIN payout_accounts a ON a.account_id = p2.account_id
                WHERE p2.status IN ('PENDING', 'UNKNOWN')
                  AND p2.next_attempt_at <= now()
                  AND (p2.lease_until IS NULL OR p2.lease_until < now())
                ORDER BY p2.next_attempt_at
                LIMIT $2
                FOR UPDATE OF p2 SKIP LOCKED) due
        WHERE p.part_id = due.part_id
      RETURNING p.part_id, p.person_id, p.amount_won::text, p.status, p.transfer_date, p.bank_transaction_id, p.attempts,
                (extract(epoch FROM now() - COALESCE(p.released_at, p.created_at)) * 1000)::bigint::text AS elapsed_ms,
                p.lease_token, p.correlation_id, p.causation_id, due.bank_code, due.sealed_account_number`,
      [leaseMs, limit],
    );
    return updatedRows<ClaimedRow>(result).map((r) => ({
      partId: r.part_id,
      personId: r.person_id,
      status: r.status,
      amountWon: Number(r.amount_won), // at most 10^9 (contract bound): exact as a number
      transferDate: r.transfer_date,
      bankTransactionId: r.bank_transaction_id,
      attempts: r.attempts,
      elapsedMs: Number(r.elapsed_ms),
      leaseToken: r.lease_token,
      correlationId: r.correlation_id,
      causationId: r.causation_id,
      bankCode: r.bank_code,
      sealedAccountNumber: r.sealed_account_number,
    }));
  }

  /**
   * Applies a decision and writes its event to the outbox in one statement (so one transaction and one round trip:
   * this runs once per payout). The lease token fences it: a worker whose lease ran out and was taken over records
   * nothing (the new holder re-asks the bank); the UPDATE re-checks the token on the row's latest version.
   */
  async record(payout: ClaimedPayout, call: BankCall | undefined, outcome: BankOutcome | undefined, decision: Decision, now: Date): Promise<Recorded> {
    const status = evolve(decision);
    let transferDate = payout.transferDate;
    let bankTransactionId = payout.bankTransactionId;
    let delayMs = 0;
    let settledAt: Date | null = null;
    let failure: { code: string | null; reason: string } | null = null;
    const messages: PendingMessage[] = [];
    const emit = (type: string, payload: object) => {
      const definition = messageDefinition(type)!;
      const envelope = buildEnvelope(definition, payload, {
        key: payout.personId,
        correlationId: payout.correlationId,
        causationId: payout.causationId,
        occurredAt: now,
      });
      messages.push({ topic: this.topics[definition.topic], envelope });
    };

    switch (decision.type) {
      case 'MarkPaid': {
        settledAt = decision.settledAt;
        const event: PayoutSettled = {
          partId: payout.partId,
          amountWon: payout.amountWon,
          transferDate,
          bankTransactionId,
          settledAt: decision.settledAt.toISOString(),
        };
        emit(PayoutSettled.name, event);
        break;
      }
      case 'MarkFailed': {
        failure = { code: decision.code, reason: decision.reason };
        const event: PayoutFailed = { partId: payout.partId, code: decision.code, reason: decision.reason };
        emit(PayoutFailed.name, event);
        break;
      }
      case 'AwaitInquiry':
        delayMs = decision.delayMs;
        break;
      case 'ResendSameId':
        break;
      case 'RetryWithNewId':
        // The old id ended FAILED at the bank, so it was not applied; a fresh (date, id) cannot pay twice. A number
        // taken here and not used (the lease was lost) is simply never used.
        delayMs = decision.delayMs;
        bankTransactionId = await allocateBankTransactionId(this.dataSource.manager);
        transferDate = transferDateOf(now);
        break;
      case 'EscalateToManualReview': {
        // Neither paid nor failed: the money may have moved. An operator decides; the ledger shows the part
        // as MANUAL_REVIEW meanwhile (never silently stuck).
        failure = { code: null, reason: decision.reason };
        const event: PayoutNeedsReview = { partId: payout.partId, reason: truncate(decision.reason, 500) };
        emit(PayoutNeedsReview.name, event);
        break;
      }
      default:
        assertNever(decision);
    }

    const responseCode = outcome && 'responseCode' in outcome ? (outcome.responseCode ?? null) : null;
    const attempt = call && outcome
      ? [call, payout.transferDate, payout.bankTransactionId, outcome.type, 'detail' in outcome ? outcome.detail : responseCode, decision.type]
      : [null, null, null, null, null, null];
    const values: unknown[] = [
      payout.partId, payout.leaseToken, status, call ? 1 : 0, delayMs, responseCode, transferDate, bankTransactionId, settledAt,
      failure?.code ?? null, failure?.reason ?? null, ...attempt,
    ];
    const events = outboxValuesOf(messages, values.length + 1);
    const result: unknown = await this.dataSource.query(
      `WITH held AS (
         UPDATE payouts
            SET status = $3, attempts = attempts + $4, next_attempt_at = now() + ($5::bigint * interval '1 millisecond'),
                lease_until = NULL, lease_token = NULL, last_response_code = COALESCE($6, last_response_code),
                transfer_date = $7, bank_transaction_id = $8, settled_at = COALESCE($9, settled_at),
                failure_code = COALESCE($10, failure_code), failure_reason = COALESCE($11, failure_reason), updated_at = now()
          WHERE part_id = $1 AND lease_token = $2
         RETURNING part_id),
       attempt AS (
         INSERT INTO payout_attempts (part_id, call, transfer_date, bank_transaction_id, outcome, detail, decision)
         SELECT part_id, $12, $13, $14, $15, $16, $17 FROM held WHERE $12::text IS NOT NULL)
       ${messages.length > 0 ? `, event AS (INSERT INTO ${OUTBOX_COLUMNS} SELECT * FROM (${events.sql}) AS m WHERE EXISTS (SELECT 1 FROM held))` : ''}
       SELECT count(*)::int AS applied FROM held`,
      [...values, ...events.values],
    );
    const [{ applied }] = result as { applied: number }[];
    if (applied === 0) return { applied: false };
    return {
      applied: true,
      status,
      newBankTransactionId: bankTransactionId !== payout.bankTransactionId ? bankTransactionId : undefined,
    };
  }

  /** Gives a claimed payout back untouched (e.g. a maintenance window opened before the call), due at once. */
  async releaseLease(payout: ClaimedPayout): Promise<void> {
    await this.dataSource.query(`UPDATE payouts SET lease_until = NULL, lease_token = NULL WHERE part_id = $1 AND lease_token = $2`, [payout.partId, payout.leaseToken]);
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows: { status: string; n: number }[] = await this.dataSource.query(`SELECT status, count(*)::int AS n FROM payouts GROUP BY status`);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** TypeORM's postgres driver answers UPDATE … RETURNING with [rows, affected], unlike SELECT and INSERT. */
function updatedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
