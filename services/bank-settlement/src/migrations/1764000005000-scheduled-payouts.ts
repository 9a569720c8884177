import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled payouts: a payout accepted after its issuer's cut-off or on a non-business day waits as SCHEDULED
 * until `release_at` (09:00 KST on the next business day). Its bank transaction id and transfer date are allocated
 * when it is released (the transfer date is the KST date of the release), so it has none while SCHEDULED.
 * `released_at` restarts the payout's time budget: a night spent waiting is not time spent failing.
 */
export class ScheduledPayouts1764000005000 implements MigrationInterface {
  name = 'ScheduledPayouts1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payouts DROP CONSTRAINT payouts_status_check`);
    await q.query(`
      ALTER TABLE payouts
        ADD CONSTRAINT payouts_status_check CHECK (status IN ('SCHEDULED', 'PENDING', 'UNKNOWN', 'PAID', 'FAILED', 'MANUAL_REVIEW')),
        ADD COLUMN issuer text,
        ADD COLUMN cash_out_accepted_at timestamptz,
        ADD COLUMN release_at timestamptz,
        ADD COLUMN released_at timestamptz,
        ADD CONSTRAINT payouts_scheduled_has_release CHECK (status <> 'SCHEDULED' OR release_at IS NOT NULL),
        ADD CONSTRAINT payouts_active_has_bank_id CHECK (status NOT IN ('PENDING', 'UNKNOWN', 'PAID') OR (transfer_date IS NOT NULL AND bank_transaction_id IS NOT NULL))`);
    await q.query(`CREATE INDEX payouts_scheduled ON payouts (release_at) WHERE status = 'SCHEDULED'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX payouts_scheduled`);
    await q.query(`
      ALTER TABLE payouts
        DROP CONSTRAINT payouts_active_has_bank_id,
        DROP CONSTRAINT payouts_scheduled_has_release,
        DROP COLUMN released_at,
        DROP COLUMN release_at,
        DROP COLUMN cash_out_accepted_at,
        DROP COLUMN issuer,
        DROP CONSTRAINT payouts_status_check`);
    await q.query(`ALTER TABLE payouts ADD CONSTRAINT payouts_status_check CHECK (status IN ('PENDING', 'UNKNOWN', 'PAID', 'FAILED', 'MANUAL_REVIEW'))`);
  }
}
