import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where to push a cash-out's CashOutResolved notice: the reply topic of the client that asked for it, so the client
 * need not poll its status. Cash-outs from before have none and are never pushed.
 */
export class CashOutNotifyTopic1764000003400 implements MigrationInterface {
  name = 'CashOutNotifyTopic1764000003400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cash_outs ADD COLUMN notify_topic text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cash_outs DROP COLUMN notify_topic`);
  }
}
