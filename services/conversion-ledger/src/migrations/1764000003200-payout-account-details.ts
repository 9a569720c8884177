import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The payout command carries the verified account (sealed), so settlement never waits on identity's event, which
 * travels on another topic. The ledger keeps what that event said; rows from before have no details yet.
 */
export class PayoutAccountDetails1764000003200 implements MigrationInterface {
  name = 'PayoutAccountDetails1764000003200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_accounts ADD COLUMN bank_code text, ADD COLUMN sealed_account_number text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payout_accounts DROP COLUMN bank_code, DROP COLUMN sealed_account_number`);
  }
}
