import { randomUUID } from 'node:crypto';
import { DataSource, QueryRunner } from 'typeorm';
import { MessageEnvelope } from '@pointsweep/contracts';
import { Pool, PoolClient } from 'pg';
import { CLAIMED_BEFORE_SQLSTATE, openDatabase, queryCommitting, ServiceDatabaseClient } from './database';
import { createTestDatabase } from './scratch-database.int-helper';
import { writeToOutbox } from './outbox';

// One scratch database for the file: the specs below do not depend on each other's state.
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

describe('a service database whose server ends a connection', () => {
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

describe('the statements a service database runs', () => {
  const preparedOf = async (run: { query(sql: string): Promise<unknown> }) =>
    (await run.query('SELECT statement FROM pg_prepared_statements ORDER BY statement') as { statement: string }[]).map((r) => r.statement);

  it('prepares a parameterized statement once per connection and answers every call with its own values', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      const next = 'SELECT $1::int + 1 AS next';
      expect(await runner.query(next, [1])).toEqual([{ next: 2 }]);
      expect(await runner.query(next, [41])).toEqual([{ next: 42 }]);
      expect((await preparedOf(runner)).filter((s) => s === next)).toHaveLength(1);
    } finally {
      await runner.release();
    }
  });

  it('keeps a text without parameters, several statements in one included, off the prepared path', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('CREATE TEMP TABLE seen (n int); INSERT INTO seen VALUES (1), (2)');
      expect(await runner.query('SELECT count(*)::int AS n FROM seen')).toEqual([{ n: 2 }]);
      expect((await preparedOf(runner)).filter((s) => s.includes('seen'))).toEqual([]);
    } finally {
      await runner.release();
    }
  });

  it('runs a prepared statement again after it failed, and reports a statement that cannot be parsed each time', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      const divide = 'SELECT 10 / $1::int AS quotient';
      await expect(runner.query(divide, [0])).rejects.toThrow(/division by zero/);
      expect(await runner.query(divide, [5])).toEqual([{ quotient: 2 }]);
      for (let i = 0; i < 2; i++) await expect(runner.query('SELEC $1::int', [1])).rejects.toThrow(/syntax error/);
      expect(await runner.query(divide, [2])).toEqual([{ quotient: 5 }]);
    } finally {
      await runner.release();
    }
  });

  it('runs statements beyond a connection\'s limit unnamed, answering them all', async () => {
    const limit = ServiceDatabaseClient.preparedPerConnection;
    const client = new ServiceDatabaseClient({ connectionString: database.url });
    await client.connect();
    ServiceDatabaseClient.preparedPerConnection = 3;
    try {
      for (let k = 1; k <= 6; k++) {
        expect((await client.query(`SELECT $1::int + ${k} AS sum`, [100])).rows).toEqual([{ sum: 100 + k }]);
        expect((await client.query(`SELECT $1::int + ${k} AS sum`, [200])).rows).toEqual([{ sum: 200 + k }]);
      }
      expect(await preparedOf({ query: async (sql) => (await client.query(sql)).rows })).toEqual([1, 2, 3].map((k) => `SELECT $1::int + ${k} AS sum`));
    } finally {
      ServiceDatabaseClient.preparedPerConnection = limit;
      await client.end();
    }
  });
});

describe('a transaction on a service database connection', () => {
  /** Counts the writes that reach the server's socket on the runner's connection from here on (corked writes as one). */
  const countWrites = async (runner: QueryRunner) => {
    const client = (await runner.connect()) as ServiceDatabaseClient;
    type Writer = (...args: unknown[]) => unknown;
    const stream = (client as unknown as { connection: { stream: { _write: Writer; _writev: Writer } } }).connection.stream;
    const { _write, _writev } = stream;
    const counter = { writes: 0, restore: () => Object.assign(stream, { _write, _writev }) };
    for (const method of ['_write', '_writev'] as const) {
      const original = stream[method];
      stream[method] = function counted(this: unknown, ...args: unknown[]) {
        counter.writes++;
        return original.apply(this, args);
      };
    }
    return counter;
  };
  const rowsOf = async (table: string) => (await dataSource.query(`SELECT n FROM svc.${table} ORDER BY n`) as { n: number }[]).map((r) => r.n);

  beforeAll(async () => {
    await dataSource.query('CREATE TABLE svc.pipelined (n int PRIMARY KEY)');
  });

  it('sends BEGIN with the first statement and COMMIT with the last, and commits what the statements wrote', async () => {
    const runner = dataSource.createQueryRunner();
    const counter = await countWrites(runner);
    try {
      await runner.startTransaction();
      await runner.query('INSERT INTO pipelined VALUES ($1)', [1]);
      await queryCommitting(runner, 'INSERT INTO pipelined VALUES ($1)', [2]);
      await runner.commitTransaction();
      // two round trips for four statements: BEGIN with the first insert, the second insert with COMMIT
      expect(counter.writes).toBe(2);
    } finally {
      counter.restore();
      await runner.release();
    }
    expect(await rowsOf('pipelined')).toEqual(expect.arrayContaining([1, 2]));
  });

  it('rolls back the whole transaction when the statement sent with COMMIT fails, and refuses to call that a commit', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('INSERT INTO pipelined VALUES ($1)', [10]);
      await expect(queryCommitting(runner, 'SELECT inbox_claimed_all($1, $2)', [0, 1])).rejects.toMatchObject({ code: CLAIMED_BEFORE_SQLSTATE });
      await expect(runner.commitTransaction()).rejects.toThrow(/rolled back/);
    } finally {
      await runner.release();
    }
    expect(await rowsOf('pipelined')).not.toContain(10);
  });

  it('ends a transaction whose carrying statement failed with a rollback that needs no round trip, leaving the connection usable', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('INSERT INTO pipelined VALUES ($1)', [20]);
      await expect(queryCommitting(runner, 'INSERT INTO pipelined VALUES ($1)', [20])).rejects.toThrow(/duplicate key/);
      const counter = await countWrites(runner);
      await runner.rollbackTransaction();
      counter.restore();
      expect(counter.writes).toBe(0);
      // the next statement runs outside any transaction: another connection sees it at once
      await runner.query('INSERT INTO pipelined VALUES ($1)', [21]);
    } finally {
      await runner.release();
    }
    const rows = await rowsOf('pipelined');
    expect(rows).not.toContain(20);
    expect(rows).toContain(21);
  });

  it('sends no COMMIT behind a statement whose values could fail before reaching the server, so its failure rolls back', async () => {
    const runner = dataSource.createQueryRunner();
    const unsendable = { toPostgres: () => { throw new Error('cannot be sent'); } };
    try {
      await runner.startTransaction();
      await runner.query('INSERT INTO pipelined VALUES ($1)', [40]);
      await expect(queryCommitting(runner, 'INSERT INTO pipelined VALUES ($1)', [unsendable])).rejects.toThrow(/cannot be sent/);
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
    expect(await rowsOf('pipelined')).not.toContain(40);
  });

  it('writes outbox rows that end a transaction with its COMMIT, in one write with BEGIN when they are its only statement', async () => {
    const id = randomUUID();
    let counter: Awaited<ReturnType<typeof countWrites>> | undefined;
    await dataSource.transaction(async (tx) => {
      counter = await countWrites(tx.queryRunner!);
      const envelope = { id, key: 'person-1', type: 'Probe' } as unknown as MessageEnvelope;
      await writeToOutbox(tx, [{ topic: 'probe', envelope }], { last: true });
    });
    counter!.restore();
    expect(counter!.writes).toBe(1);
    expect(await dataSource.query('SELECT topic FROM svc.outbox WHERE message_id = $1', [id])).toEqual([{ topic: 'probe' }]);
  });

  it('sends nothing for a transaction with no statement in it', async () => {
    const runner = dataSource.createQueryRunner();
    const counter = await countWrites(runner);
    try {
      await runner.startTransaction();
      await runner.commitTransaction();
      await runner.startTransaction();
      await runner.rollbackTransaction();
      expect(counter.writes).toBe(0);
    } finally {
      counter.restore();
      await runner.release();
    }
  });

  it('does not carry a transaction begun and abandoned into the connection\'s next use', async () => {
    const single = await openDatabase({ url: database.url, schema: 'svc', migrations: [], poolSize: 1 });
    try {
      const abandoned = single.createQueryRunner();
      await abandoned.startTransaction();
      await abandoned.release();
      // the pool's only connection again: its statement commits by itself, so another connection sees it
      await single.query('INSERT INTO pipelined VALUES ($1)', [30]);
      expect(await rowsOf('pipelined')).toContain(30);
    } finally {
      await single.destroy();
    }
  });
});
