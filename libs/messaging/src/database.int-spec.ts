import { DataSource } from 'typeorm';
import { Pool, PoolClient } from 'pg';
import { openDatabase, ServiceDatabaseClient } from './database';
import { createTestDatabase } from './scratch-database.int-helper';

describe('a service database whose server ends a connection', () => {
  let database: { url: string; drop(): Promise<void> };
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('connections');
    dataSource = await openDatabase({ url: database.url, schema: 'svc', migrations: [] });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('survives the server ending a checked-out connection between queries, and keeps serving queries', async () => {
    // given a connection taken from the pool and idle between two queries (no query, nobody listening to it)
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    const taken: PoolClient = await pool.connect();
    try {
      const [{ pid }]: { pid: number }[] = (await taken.query('SELECT pg_backend_pid() AS pid')).rows;
      const before = ServiceDatabaseClient.unheardErrors;

      // when the server ends it (as on a restart or a crash of the server)
      await dataSource.query('SELECT pg_terminate_backend($1)', [pid]);

      // then the process hears of it and goes on
      const deadline = Date.now() + 10_000;
      while (ServiceDatabaseClient.unheardErrors === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(ServiceDatabaseClient.unheardErrors).toBeGreaterThan(before);
    } finally {
      taken.release(new Error('connection ended by the server'));
    }
    // and the next queries use other connections
    expect(await dataSource.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});
