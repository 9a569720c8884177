import { MigrationInterface, QueryRunner } from 'typeorm';

/** Personal data is stored sealed (AES-256-GCM); people are keyed by their connecting-information id (ci). */
export class IdentityTables1764000001000 implements MigrationInterface {
  name = 'IdentityTables1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE verifications (
        id uuid PRIMARY KEY,
        carrier_transaction_id text NOT NULL,
        sealed_identity text NOT NULL,
        status text NOT NULL,
        person_id uuid,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE persons (
        id uuid PRIMARY KEY,
        ci text NOT NULL UNIQUE,
        sealed_identity text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE consents (
        person_id uuid NOT NULL REFERENCES persons(id),
        issuer text NOT NULL,
        status text NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (person_id, issuer)
      )`);
    await q.query(`
      CREATE TABLE payout_accounts (
        id uuid PRIMARY KEY,
        person_id uuid NOT NULL REFERENCES persons(id),
        bank_code text NOT NULL,
        sealed_account_number text NOT NULL,
        account_digest text NOT NULL,
        status text NOT NULL,
        reason text,
        created_at timestamptz NOT NULL,
        UNIQUE (person_id, bank_code, account_digest)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payout_accounts, consents, persons, verifications`);
  }
}
