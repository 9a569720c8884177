import { DataSource } from 'typeorm';
import { messageDefinition, PayoutFailed, PayoutNeedsReview, PayoutSettled, Topics } from '@pointsweep/contracts';
import { buildEnvelope, OUTBOX_COLUMNS, PendingMessage } from '@pointsweep/messaging';
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

/** A claimed payout, the bank call made for it (none when escalated without one), its outcome and the decision. */
export interface PayoutOutcome {
  payout: ClaimedPayout;
  call: BankCall | undefined;
  outcome: BankOutcome | undefined;
  decision: Decision;
}

interface PayoutEffect {
  status: PayoutStatus;
  transferDate: string;
  bankTransactionId: string;
  delayMs: number;
  settledAt: Date | null;
  failure: { code: string | null; reason: string } | null;
  messages: PendingMessage[];
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
   * Applies the decisions of a claimed batch and writes their events to the outbox in one statement (one round trip
   * for the batch; it was one per payout). Each payout's lease token fences it: a payout whose lease ran out and was
   * taken over records nothing (the new holder re-asks the bank); the UPDATE re-checks the token on the row's latest
   * version. Returns what was recorded, in the order given.
   */
  async recordAll(outcomes: PayoutOutcome[], now: Date): Promise<Recorded[]> {
    if (outcomes.length === 0) return [];
    const rows: Record<string, unknown>[] = [];
    const messages: { n: number; part_id: string; lease_token: string; message_id: string; topic: string; message_key: string; message_type: string; value: unknown }[] = [];
    const results: Omit<Recorded, 'applied'>[] = [];
    for (const { payout, call, outcome, decision } of outcomes) {
      const effect = await this.effectOf(payout, decision, now);
      for (const m of effect.messages) {
        messages.push({ n: messages.length, part_id: payout.partId, lease_token: payout.leaseToken, message_id: m.envelope.id, topic: m.topic, message_key: m.envelope.key, message_type: m.envelope.type, value: m.envelope });
      }
      const responseCode = outcome && 'responseCode' in outcome ? (outcome.responseCode ?? null) : null;
      rows.push({
        part_id: payout.partId, lease_token: payout.leaseToken, status: effect.status, calls: call ? 1 : 0, delay_ms: effect.delayMs,
        response_code: responseCode, transfer_date: effect.transferDate, bank_transaction_id: effect.bankTransactionId,
        settled_at: effect.settledAt?.toISOString() ?? null, failure_code: effect.failure?.code ?? null, failure_reason: effect.failure?.reason ?? null,
        call: call && outcome ? call : null,
        attempt_transfer_date: payout.transferDate,
        attempt_bank_transaction_id: payout.bankTransactionId,
        attempt_outcome: outcome?.type ?? null,
        attempt_detail: outcome ? ('detail' in outcome ? outcome.detail : responseCode) : null,
        attempt_decision: decision.type,
      });
      results.push({
        status: effect.status,
        newBankTransactionId: effect.bankTransactionId !== payout.bankTransactionId ? effect.bankTransactionId : undefined,
      });
    }
    const held: { part_id: string; lease_token: string }[] = await this.dataSource.query(
      `WITH d AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(part_id uuid, lease_token uuid, status text, calls int, delay_ms bigint, response_code text,
           transfer_date text, bank_transaction_id text, settled_at timestamptz, failure_code text, failure_reason text, call text,
           attempt_transfer_date text, attempt_bank_transaction_id text, attempt_outcome text, attempt_detail text, attempt_decision text)),
       held AS (
         UPDATE payouts p
            SET status = d.status, attempts = p.attempts + d.calls, next_attempt_at = now() + (d.delay_ms * interval '1 millisecond'),
                lease_until = NULL, lease_token = NULL, last_response_code = COALESCE(d.response_code, p.last_response_code),
                transfer_date = d.transfer_date, bank_transaction_id = d.bank_transaction_id, settled_at = COALESCE(d.settled_at, p.settled_at),
                failure_code = COALESCE(d.failure_code, p.failure_code), failure_reason = COALESCE(d.failure_reason, p.failure_reason), updated_at = now()
           FROM d
          WHERE p.part_id = d.part_id AND p.lease_token = d.lease_token
            AND p.part_id = ANY($3::uuid[]) -- lets the planner reach the rows by key instead of scanning the table
         RETURNING p.part_id, d.lease_token),
       attempt AS (
         INSERT INTO payout_attempts (part_id, call, transfer_date, bank_transaction_id, outcome, detail, decision)
         SELECT d.part_id, d.call, d.attempt_transfer_date, d.attempt_bank_transaction_id, d.attempt_outcome, d.attempt_detail, d.attempt_decision
           FROM d JOIN held USING (part_id, lease_token) WHERE d.call IS NOT NULL),
       event AS (
         INSERT INTO ${OUTBOX_COLUMNS}
         SELECT e.message_id, e.topic, e.message_key, e.message_type, e.value
           FROM jsonb_to_recordset($2::jsonb) AS e(n int, part_id uuid, lease_token uuid, message_id uuid, topic text, message_key text, message_type text, value jsonb)
          WHERE (e.part_id, e.lease_token) IN (SELECT part_id, lease_token FROM held) ORDER BY e.n)
       SELECT part_id::text AS part_id, lease_token::text AS lease_token FROM held`,
      [JSON.stringify(rows), JSON.stringify(messages), outcomes.map((o) => o.payout.partId)],
    );
    const applied = new Set(held.map((h) => `${h.part_id}/${h.lease_token}`));
    return outcomes.map(({ payout }, i) => (applied.has(`${payout.partId}/${payout.leaseToken}`) ? { applied: true, ...results[i] } : { applied: false }));
  }

  /** What a decision does to its payout: the new status, times and ids, and the event it emits. */
  private async effectOf(payout: ClaimedPayout, decision: Decision, now: Date): Promise<PayoutEffect> {
    const effect: PayoutEffect = {
      status: evolve(decision), transferDate: payout.transferDate, bankTransactionId: payout.bankTransactionId, delayMs: 0,
      settledAt: null, failure: null, messages: [],
    };
    const emit = (type: string, payload: object) => {
      const definition = messageDefinition(type)!;
      const envelope = buildEnvelope(definition, payload, {
        key: payout.personId,
        correlationId: payout.correlationId,
        causationId: payout.causationId,
        occurredAt: now,
      });
      effect.messages.push({ topic: this.topics[definition.topic], envelope });
    };

    switch (decision.type) {
      case 'MarkPaid': {
        effect.settledAt = decision.settledAt;
        const event: PayoutSettled = {
          partId: payout.partId,
          amountWon: payout.amountWon,
          transferDate: payout.transferDate,
          bankTransactionId: payout.bankTransactionId,
          settledAt: decision.settledAt.toISOString(),
        };
        emit(PayoutSettled.name, event);
        break;
      }
      case 'MarkFailed': {
        effect.failure = { code: decision.code, reason: decision.reason };
        const event: PayoutFailed = { partId: payout.partId, code: decision.code, reason: decision.reason };
        emit(PayoutFailed.name, event);
        break;
      }
      case 'AwaitInquiry':
        effect.delayMs = decision.delayMs;
        break;
      case 'ResendSameId':
        break;
      case 'RetryWithNewId':
        // The old id ended FAILED at the bank, so it was not applied; a fresh (date, id) cannot pay twice. A number
        // taken here and not used (the lease was lost) is simply never used.
        effect.delayMs = decision.delayMs;
        effect.bankTransactionId = await allocateBankTransactionId(this.dataSource.manager);
        effect.transferDate = transferDateOf(now);
        break;
      case 'EscalateToManualReview': {
        // Neither paid nor failed: the money may have moved. An operator decides; the ledger shows the part
        // as MANUAL_REVIEW meanwhile (never silently stuck).
        effect.failure = { code: null, reason: decision.reason };
        const event: PayoutNeedsReview = { partId: payout.partId, reason: truncate(decision.reason, 500) };
        emit(PayoutNeedsReview.name, event);
        break;
      }
      default:
        assertNever(decision);
    }
    return effect;
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
