import { MigrationInterface, QueryRunner } from 'typeorm';

/** Quotes, and what the saga needs to drive parts to an end: payout dates, review reasons, watchdog nudges. */
export class QuotesAndSagaColumns1764000003100 implements MigrationInterface {
  name = 'QuotesAndSagaColumns1764000003100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE quotes (
        id uuid PRIMARY KEY,
        person_id uuid NOT NULL,
        account_id uuid NOT NULL,
        parts jsonb NOT NULL,
        quoted_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`ALTER TABLE cash_outs ADD COLUMN correlation_id text, ADD COLUMN quote_id uuid`);
    await q.query(`
      ALTER TABLE cash_out_parts
        ADD COLUMN transfer_date text,
        ADD COLUMN payout_from timestamptz,
        ADD COLUMN review_reason text,
        ADD COLUMN nudges int NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX cash_out_parts_open ON cash_out_parts (state, updated_at) WHERE state IN ('REDEEMING', 'PAYING', 'REFUNDING')`);
    // A bank transaction id is unique per transfer date: two parts can never claim the same transfer.
    await q.query(`CREATE UNIQUE INDEX one_part_per_bank_transfer ON cash_out_parts (transfer_date, bank_transaction_id) WHERE bank_transaction_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX one_part_per_bank_transfer`);
    await q.query(`DROP INDEX cash_out_parts_open`);
    await q.query(`ALTER TABLE cash_out_parts DROP COLUMN transfer_date, DROP COLUMN payout_from, DROP COLUMN review_reason, DROP COLUMN nudges`);
    await q.query(`ALTER TABLE cash_outs DROP COLUMN correlation_id, DROP COLUMN quote_id`);
    await q.query(`DROP TABLE quotes`);
  }
}
