import { MigrationInterface, QueryRunner } from 'typeorm';

/** 36^9 - 1: the largest number that fits the 9 base-36 characters of a bank transaction id. */
export const MAX_TRANSACTION_SEQUENCE = '101559956668415';

/**
 * Verified payout accounts (account numbers stay sealed) and payouts. A payout's bank transaction id is
 * allocated and stored before the bank is ever called, so a crash can never lose it.
 */
export class SettlementTables1764000004000 implements MigrationInterface {
  name = 'SettlementTables1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payout_accounts (
        account_id uuid PRIMARY KEY,
        person_id uuid NOT NULL,
        bank_code text NOT NULL,
        sealed_account_number text NOT NULL,
        verified_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE SEQUENCE bank_transaction_seq MINVALUE 1 MAXVALUE ${MAX_TRANSACTION_SEQUENCE} NO CYCLE`);
    await q.query(`
      CREATE TABLE payouts (
        part_id uuid PRIMARY KEY,
        person_id uuid NOT NULL,
        account_id uuid NOT NULL,
        amount_won bigint NOT NULL CHECK (amount_won > 0),
        status text NOT NULL CHECK (status IN ('PENDING', 'UNKNOWN', 'PAID', 'FAILED', 'MANUAL_REVIEW')),
        transfer_date char(8),
        bank_transaction_id char(20),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        lease_token uuid,
        last_response_code text,
        failure_code text,
        failure_reason text,
        correlation_id text NOT NULL,
        causation_id text NOT NULL,
        accepted_at timestamptz NOT NULL,
        settled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The bank dedupes on (date, id); so do we.
    await q.query(`CREATE UNIQUE INDEX payouts_bank_transaction ON payouts (transfer_date, bank_transaction_id)`);
    await q.query(`CREATE INDEX payouts_due ON payouts (next_attempt_at) WHERE status IN ('PENDING', 'UNKNOWN')`);
    // Every bank call and its answer, for operators and reconciliation.
    await q.query(`
      CREATE TABLE payout_attempts (
        id bigserial PRIMARY KEY,
        part_id uuid NOT NULL REFERENCES payouts(part_id),
        call text NOT NULL,
        transfer_date char(8) NOT NULL,
        bank_transaction_id char(20) NOT NULL,
        outcome text NOT NULL,
        detail text,
        decision text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX payout_attempts_part ON payout_attempts (part_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payout_attempts, payouts, payout_accounts`);
    await q.query(`DROP SEQUENCE bank_transaction_seq`);
  }
}
