import { MigrationInterface, QueryRunner } from 'typeorm';

/** Consents can be revoked (and granted again); refunds given back to the card companies, one row per idempotency key. */
export class RefundsAndConsentRevocation1764100002000 implements MigrationInterface {
  name = 'RefundsAndConsentRevocation1764100002000';

  async up(q: QueryRunner): Promise<void> {
    // A revoked consent keeps its ci: refunds of points redeemed under it must still reach the card company.
    await q.query(`ALTER TABLE consents ADD COLUMN revoked_at timestamptz`);
    // Written as ATTEMPTED (on its own, before the first call) so a later run knows an earlier one may have reached
    // the card company and asks before sending; REFUNDED (with the card company's refund id) in the handler's
    // transaction with the PointsRefunded event; REFUSED records the card company's definitive no for operators.
    await q.query(`
      CREATE TABLE refunds (
        idempotency_key text PRIMARY KEY,
        part_id uuid NOT NULL,
        person_id uuid NOT NULL,
        issuer text NOT NULL,
        program text NOT NULL,
        points bigint NOT NULL CHECK (points > 0),
        redemption_transaction_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('ATTEMPTED', 'REFUNDED', 'REFUSED')),
        refund_id text,
        failure_code text,
        failure_reason text,
        first_attempt_at timestamptz NOT NULL,
        settled_at timestamptz,
        CHECK ((status = 'REFUNDED') = (refund_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX refunds_part ON refunds (part_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refunds`);
    await q.query(`ALTER TABLE consents DROP COLUMN revoked_at`);
  }
}
