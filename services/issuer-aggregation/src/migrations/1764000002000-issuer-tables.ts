import { MigrationInterface, QueryRunner } from 'typeorm';

/** Consents learned from identity, last known points per program, and redemptions the card companies confirmed. */
export class IssuerTables1764000002000 implements MigrationInterface {
  name = 'IssuerTables1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE consents (
        person_id uuid NOT NULL,
        issuer text NOT NULL,
        ci text NOT NULL,
        granted_at timestamptz NOT NULL,
        PRIMARY KEY (person_id, issuer)
      )`);
    // The fallback for lookups when a card company cannot answer (status STALE).
    await q.query(`
      CREATE TABLE point_snapshots (
        person_id uuid NOT NULL,
        program text NOT NULL,
        issuer text NOT NULL,
        balance bigint NOT NULL CHECK (balance >= 0),
        expiring jsonb NOT NULL,
        as_of timestamptz NOT NULL,
        fetched_at timestamptz NOT NULL,
        PRIMARY KEY (person_id, program)
      )`);
    // One row per idempotency key: a redelivered or re-sent RedeemPoints finds it and never redeems twice.
    await q.query(`
      CREATE TABLE redemptions (
        idempotency_key text PRIMARY KEY,
        part_id uuid NOT NULL,
        person_id uuid NOT NULL,
        issuer text NOT NULL,
        program text NOT NULL,
        points bigint NOT NULL CHECK (points > 0),
        issuer_transaction_id text NOT NULL,
        redeemed_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX redemptions_part ON redemptions (part_id)`);
    // Written (outside the handler's transaction) before a redemption is first sent: a later run of the same
    // command knows an earlier one may have reached the card company, so "never sent" is never assumed.
    await q.query(`
      CREATE TABLE redemption_attempts (
        idempotency_key text PRIMARY KEY,
        part_id uuid NOT NULL,
        first_attempt_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE redemption_attempts, redemptions, point_snapshots, consents`);
  }
}
