import { DataSource } from 'typeorm';
import { openDatabase, QUEUE_STATISTICS_TARGET } from './database';
import { JsonLogger } from './logger';
import { createTestDatabase } from './scratch-database.int-helper';
import { TableUpkeep } from './table-upkeep';

/** Polls until the condition holds (statistics reach the server's shared memory a moment after a commit). */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, deadlineMs = 15_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('table upkeep against PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> };
  let dataSource: DataSource;
  const logger = new JsonLogger('table-upkeep-spec', 'warn');
  const statsOf = async (table: string) => {
    const [row]: { dead: string; vacuums: string; analyzes: string }[] = await dataSource.query(
      `SELECT n_dead_tup AS dead, vacuum_count AS vacuums, analyze_count AS analyzes FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = $1`,
      [table],
    );
    return { dead: Number(row.dead), vacuums: Number(row.vacuums), analyzes: Number(row.analyzes) };
  };

  beforeAll(async () => {
    database = await createTestDatabase('upkeep');
    dataSource = await openDatabase({ url: database.url, schema: 'svc', migrations: [] });
    // The server's own autovacuum (on in the test container) must not race the passes under test.
    await dataSource.query(`ALTER TABLE outbox SET (autovacuum_enabled = false)`);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('vacuums an outbox full of published rows, leaving it without dead rows, and leaves quiet tables alone', async () => {
    // given 3 000 outbox rows, each published (updated) once: 3 000 dead rows
    await dataSource.query(
      `INSERT INTO outbox (message_id, topic, message_key, message_type, value)
       SELECT gen_random_uuid(), 't', 'k', 'T', '{}'::jsonb FROM generate_series(1, 3000)`,
    );
    await dataSource.query(`UPDATE outbox SET published_at = now()`);
    await eventually(() => statsOf('outbox'), (s) => s.dead >= 3000);

    // when one pass runs, whatever the server's own autovacuum does
    const upkeep = new TableUpkeep(dataSource, logger, { mode: 'always' });
    const steps = await upkeep.runOnce();

    // then the outbox was vacuumed and analyzed, nothing else was touched, and its dead rows are gone
    expect(steps).toEqual([{ table: 'outbox', action: 'vacuum' }]);
    const after = await eventually(() => statsOf('outbox'), (s) => s.dead === 0);
    expect(after).toMatchObject({ dead: 0, vacuums: 1, analyzes: 1 });
    expect((await statsOf('inbox')).vacuums).toBe(0);
  });

  it('does nothing while another instance holds the upkeep lock', async () => {
    await dataSource.query(`UPDATE outbox SET published_at = now()`);
    await eventually(() => statsOf('outbox'), (s) => s.dead >= 3000);
    const holder = dataSource.createQueryRunner();
    await holder.query(`SELECT pg_advisory_lock(hashtext('shared-upkeep'))`);
    try {
      expect(await new TableUpkeep(dataSource, logger, { mode: 'always' }, 'shared-upkeep').runOnce()).toEqual([]);
    } finally {
      await holder.query(`SELECT pg_advisory_unlock(hashtext('shared-upkeep'))`);
      await holder.release();
    }
    expect(await new TableUpkeep(dataSource, logger, { mode: 'always' }, 'shared-upkeep').runOnce()).toEqual([{ table: 'outbox', action: 'vacuum' }]);
  });

  it('in auto mode stays idle where the server autovacuums, and works where it does not', async () => {
    const [{ autovacuum }]: { autovacuum: string }[] = await dataSource.query(`SHOW autovacuum`);
    await dataSource.query(`UPDATE outbox SET published_at = now()`);
    await eventually(() => statsOf('outbox'), (s) => s.dead >= 3000);
    const steps = await new TableUpkeep(dataSource, logger, { mode: 'auto' }).runOnce();
    expect(steps).toEqual(autovacuum === 'on' ? [] : [{ table: 'outbox', action: 'vacuum' }]);
  });

  it('never runs in off mode', async () => {
    expect(await new TableUpkeep(dataSource, logger, { mode: 'off' }).runOnce()).toEqual([]);
  });

  it('analyzes the outbox and the inbox on a small sample, keeping no statistics of message bodies or digests', async () => {
    // given thousands of distinct rows in both queues (the default target would keep a 101-bound histogram of each id)
    await dataSource.query(
      `INSERT INTO outbox (message_id, topic, message_key, message_type, value)
       SELECT gen_random_uuid(), 't', 'k', 'T', jsonb_build_object('n', g) FROM generate_series(1, 3000) g`,
    );
    await dataSource.query(
      `INSERT INTO inbox (consumer, message_id, message_type, outcome, content_digest)
       SELECT 'c', gen_random_uuid(), 'T', 'processed', md5(g::text) FROM generate_series(1, 5000) g`,
    );
    await dataSource.query(`ANALYZE outbox`);
    await dataSource.query(`ANALYZE inbox`);

    const stats: { table: string; column: string; bounds: number | null }[] = await dataSource.query(
      `SELECT tablename AS table, attname AS column, array_length(histogram_bounds::text::text[], 1) AS bounds
       FROM pg_stats WHERE schemaname = current_schema() AND tablename IN ('outbox', 'inbox')`,
    );
    const columnsOf = (table: string) => stats.filter((s) => s.table === table).map((s) => s.column);
    expect(columnsOf('outbox')).not.toContain('value');
    expect(columnsOf('inbox')).not.toContain('content_digest');
    expect(stats.find((s) => s.table === 'outbox' && s.column === 'id')?.bounds).toBe(QUEUE_STATISTICS_TARGET + 1);
    expect(stats.find((s) => s.table === 'inbox' && s.column === 'message_id')?.bounds).toBe(QUEUE_STATISTICS_TARGET + 1);
  });
});
