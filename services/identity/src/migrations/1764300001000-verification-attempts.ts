import { MigrationInterface, QueryRunner } from 'typeorm';

/** Identity counts one-time-code attempts itself, whatever the carrier's own limit. */
export class VerificationAttempts1764300001000 implements MigrationInterface {
  name = 'VerificationAttempts1764300001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE verifications ADD COLUMN IF NOT EXISTS code_attempts integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE verifications DROP COLUMN IF EXISTS code_attempts`);
  }
}
