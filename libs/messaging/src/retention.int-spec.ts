import { randomUUID } from 'node:crypto';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { openDatabase } from './database';
import { JsonLogger } from './logger';
import { RetentionJob } from './retention';
import { createTestDatabase } from './scratch-database.int-helper';

class LedgerLike1764000009100 implements MigrationInterface {
  name = 'LedgerLike1764000009100';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ledger_entries (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_entries`);
  }
}

const DAY = 24 * 60 * 60_000;

describe('retention of outbox and inbox rows', () => {
  let database: { url: string; drop(): Promise<void> };
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('retention');
    dataSource = await openDatabase({ url: database.url, schema: 'svc', migrations: [LedgerLike1764000009100] });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  async function outboxRow(createdDaysAgo: number, publishedDaysAgo: number | null): Promise<string> {
    const id = randomUUID();
    await dataSource.query(
      `INSERT INTO outbox (message_id, topic, message_key, message_type, value, created_at, published_at)
       VALUES ($1, 't', 'k', 'PointsRedeemed', '{}'::jsonb, now() - make_interval(days => $2), CASE WHEN $3::int IS NULL THEN NULL ELSE now() - make_interval(days => $3::int) END)`,
      [id, createdDaysAgo, publishedDaysAgo],
    );
    return id;
  }

  async function inboxRow(daysAgo: number): Promise<string> {
    const id = randomUUID();
    await dataSource.query(`INSERT INTO inbox (consumer, message_id, message_type, outcome, processed_at) VALUES ('svc', $1, 'X', 'processed', now() - make_interval(days => $2))`, [id, daysAgo]);
    return id;
  }

  it('deletes published outbox rows and inbox rows past their age, keeps recent and unpublished ones, never touches other tables', async () => {
    const oldPublished = await outboxRow(9, 8);
    const recentPublished = await outboxRow(2, 1);
    const oldUnpublished = await outboxRow(30, null); // never published: the relay still owes it, so it stays
    const oldInbox = await inboxRow(15);
    const youngInbox = await inboxRow(13); // within the 14 days an id must be remembered
    await dataSource.query(`INSERT INTO ledger_entries (created_at) VALUES (now() - interval '400 days'), (now())`);

    const job = new RetentionJob(dataSource, new JsonLogger('retention-spec', 'warn'), { outboxMaxAgeMs: 7 * DAY, inboxMaxAgeMs: 14 * DAY, batchSize: 1 });
    // Small batches: it loops until nothing is left to delete.
    let passes = 0;
    for (;;) {
      const removed = await job.runOnce();
      passes++;
      if (removed.outbox + removed.inbox === 0) break;
    }
    expect(passes).toBeGreaterThanOrEqual(2);
    const outbox = (await dataSource.query(`SELECT message_id FROM outbox`)).map((r: { message_id: string }) => r.message_id).sort();
    expect(outbox).toEqual([recentPublished, oldUnpublished].sort());
    expect(outbox).not.toContain(oldPublished);
    const inbox = (await dataSource.query(`SELECT message_id FROM inbox`)).map((r: { message_id: string }) => r.message_id);
    expect(inbox).toEqual([youngInbox]);
    expect(inbox).not.toContain(oldInbox);
    expect(Number((await dataSource.query(`SELECT count(*) FROM ledger_entries`))[0].count)).toBe(2);
    expect(job.deleted).toEqual({ outbox: 1, inbox: 1 });
  });

  it('refuses an inbox retention that does not outlast the oldest message consumers accept', () => {
    expect(() => new RetentionJob(dataSource, new JsonLogger('retention-spec', 'warn'), { inboxMaxAgeMs: 3 * DAY })).toThrow(/must exceed the maximum message age/);
  });
});
