import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The saga's admission gate sizes its backlog from how many parts finished in the last seconds: an index over
 * finished parts by the time they finished keeps that count a short range scan however large the table grows.
 */
export class FinishedPartsIndex1764000003300 implements MigrationInterface {
  name = 'FinishedPartsIndex1764000003300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX cash_out_parts_finished ON cash_out_parts (updated_at) WHERE state NOT IN ('REDEEMING', 'PAYING', 'REFUNDING')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX cash_out_parts_finished`);
  }
}
