import { Client, ClientConfig, Pool, QueryResult } from 'pg';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { JsonLogger } from './logger';

const databaseLog = new JsonLogger('database');

export interface DatabaseOptions {
  url: string;
  schema: string;
  migrations: (new () => MigrationInterface)[];
  poolSize?: number;
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe SQL identifier: ${name}`);
  return `"${name}"`;
}

/**
 * A pool connection that always has an 'error' listener. When the server goes away (a restart, a crash), every
 * connection is told so, also one that is checked out but between queries: pg emits that as an 'error' event,
 * and an event nobody listens to ends the process. The failure itself reaches whoever runs the next query on it
 * (and the pool drops the connection); this listener only keeps a dead connection from killing the service.
 */
export class ServiceDatabaseClient extends Client {
  /** Errors reported on connections nobody else was listening to (a gauge of server restarts survived). */
  static unheardErrors = 0;
  /** Rollbacks asked for after the server had committed (a caller's mistake; never expected). */
  static rollbacksAfterCommit = 0;
  /** Distinct statements one connection keeps prepared; the rest (rare shapes, e.g. odd batch sizes) run unnamed. */
  static preparedPerConnection = 200;
  /** The statement names this connection has prepared. */
  readonly prepared = new Set<string>();
  /** A transaction's START TRANSACTION, held back to go out with its first statement (pipelined, one round trip). */
  beginHeld = false;
  /** The answer to a COMMIT already sent: what the transaction's own COMMIT or ROLLBACK then gets. */
  endSent?: Promise<unknown>;

  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', () => {
      if (this.listenerCount('error') === 1) ServiceDatabaseClient.unheardErrors++;
    });
  }

  /** Forgets a transaction that was begun and never used (a connection back in the pool starts clean). */
  startClean(): void {
    this.beginHeld = false;
    this.endSent = undefined;
  }
}

/** One name per statement text, the same in every connection of the process; bounded like the connections' sets. */
const statementNames = new Map<string, string>();
const MOST_STATEMENT_NAMES = 2000;

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MOST_STATEMENT_NAMES) {
    name = `ps_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

const unnamedQuery = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;

/**
 * A parameterized statement runs as a named prepared statement, so the server parses it once per connection
 * instead of on every call, and may keep its plan. Statements without parameters (BEGIN, COMMIT, several
 * statements in one text) keep the simple protocol.
 */
function sendStatement(client: ServiceDatabaseClient, args: unknown[]): unknown {
  const [text, values, callback] = args;
  if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
    const name = statementName(text);
    if (name !== undefined && (client.prepared.has(name) || client.prepared.size < ServiceDatabaseClient.preparedPerConnection)) {
      client.prepared.add(name);
      return unnamedQuery.call(client, { name, text, values }, undefined, callback);
    }
  }
  return unnamedQuery.apply(client, args);
}

/** TypeORM's own texts for a transaction's start and end. */
const BEGIN = 'START TRANSACTION';
const ENDS = new Set(['COMMIT', 'ROLLBACK']);

function commandResult(command: string): object {
  return { command, rowCount: null, oid: null, rows: [], fields: [] };
}

/**
 * Every statement of a transaction used to be a round trip of its own, and on this machine each is a pair of
 * process wake-ups, most of what a short transaction costs. The pool's connections run in pipeline mode, so
 * START TRANSACTION waits and goes out in one write with the transaction's first statement, and COMMIT (through
 * queryCommitting) right behind its last. An empty transaction never reaches the server.
 * Set on the prototype to keep pg's overloaded signature.
 */
(ServiceDatabaseClient.prototype as unknown as { query: unknown }).query = function pipelinedQuery(this: ServiceDatabaseClient, ...args: unknown[]): unknown {
  const [text, values, callback] = args;
  const bare = typeof text === 'string' && callback === undefined && (values === undefined || (Array.isArray(values) && values.length === 0));
  if (bare && text === BEGIN) {
    this.startClean();
    this.beginHeld = true;
    return Promise.resolve(commandResult('BEGIN'));
  }
  if (bare && ENDS.has(text)) {
    if (this.beginHeld) {
      this.startClean();
      return Promise.resolve(commandResult(text));
    }
    if (this.endSent) {
      const sent = this.endSent;
      this.startClean();
      // The server's answer to the COMMIT says which it was; a caller asking for the other is told.
      return sent.then((answer) => {
        const ended = (answer as { command?: string }).command;
        if (ended !== (text === 'COMMIT' ? 'COMMIT' : 'ROLLBACK')) {
          if (text === 'COMMIT') throw new Error('the transaction was rolled back: a statement in it failed');
          // Callers swallow a failed rollback; this one means work committed that its caller meant to undo.
          ServiceDatabaseClient.rollbacksAfterCommit++;
          databaseLog.error('a rollback was asked for after the server had committed the transaction');
          throw new Error('the transaction had already committed');
        }
        return answer;
      });
    }
  }
  return this.beginHeld ? sendPipelined(this, args, false) : sendStatement(this, args);
};

/** The statement, after the held BEGIN if any and before COMMIT if asked, in one write to the socket. */
function sendPipelined(client: ServiceDatabaseClient, args: unknown[], withCommit: boolean): unknown {
  const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }).connection?.stream;
  stream?.cork?.();
  try {
    const begun = client.beginHeld ? (unnamedQuery.call(client, BEGIN) as Promise<unknown>) : undefined;
    client.beginHeld = false;
    const result = sendStatement(client, args) as Promise<unknown> | undefined;
    if (withCommit) {
      const committed = unnamedQuery.call(client, 'COMMIT') as Promise<unknown>;
      // Whoever ends the transaction awaits it; until then its failure is not unhandled.
      committed.catch(() => undefined);
      client.endSent = committed;
    }
    if (!begun) return result;
    // A BEGIN the server refused makes the statement behind it fail too (it only happens with a broken connection).
    if (!result) return void begun.catch(() => undefined);
    return begun.then(() => result, (error: unknown) => {
      result.catch(() => undefined);
      throw error;
    });
  } finally {
    stream?.uncork?.();
  }
}

/** Values that cannot fail to bind on the client side, where the server never sees the statement. */
function plainValue(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value) || value instanceof Date || Buffer.isBuffer(value);
}

/**
 * Runs the transaction's last statement with COMMIT right behind it, in one write: the caller then commits (or rolls
 * back) as usual and gets that COMMIT's answer without another round trip. The statement must itself fail whenever
 * the transaction must not commit — after a failed statement the server turns the COMMIT into a rollback. Sent in
 * one call with the statement, so no other statement on the connection can take the COMMIT; only plain values, so
 * the statement cannot fail on the client after the COMMIT went out. Outside a top-level transaction it is a plain
 * statement.
 */
export async function queryCommitting(runner: QueryRunner, sql: string, parameters: unknown[]): Promise<Record<string, unknown>[]> {
  const client = await runner.connect();
  const depth = (runner as unknown as { transactionDepth?: number }).transactionDepth;
  if (!(client instanceof ServiceDatabaseClient) || !runner.isTransactionActive || depth !== 1 || !parameters.every(plainValue)) {
    return runner.query(sql, parameters);
  }
  const result = sendPipelined(client, [sql, parameters], true) as Promise<QueryResult<Record<string, unknown>>>;
  return (await result).rows;
}

/**
 * A connection to the service's database of its own, outside the pool, with the pool's settings (its schema): for
 * holding a session-level lock, which ending the connection frees whatever state it is in.
 */
export function separateConnection(dataSource: DataSource): ServiceDatabaseClient {
  const options = dataSource.options as { url?: string; extra?: { options?: string } };
  return new ServiceDatabaseClient({ connectionString: options.url, options: options.extra?.options });
}

/** Opens the service's DataSource on its own schema and runs its migrations (never synchronize). */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  const admin = new Client({ connectionString: options.url });
  await admin.connect();
  try {
    // A service role owns its schema but may not create schemas: create only when missing.
    const found = await admin.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [options.schema]);
    if (found.rowCount === 0) await admin.query(`CREATE SCHEMA ${quoteIdent(options.schema)}`);
  } finally {
    await admin.end();
  }
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    synchronize: false,
    migrationsRun: false,
    migrations: [MessagingTables1764000000000, MessagingRetention1764300000000, MessagingClaimGuard1796515200000, MessagingQueueStatistics1796601600000, ...options.migrations],
    migrationsTableName: 'migrations',
    extra: { max: options.poolSize ?? 10, options: `-c search_path=${options.schema}`, Client: ServiceDatabaseClient, pipeline: true },
    logging: false,
  });
  await dataSource.initialize();
  (dataSource.driver as unknown as { master: Pool }).master.on('acquire', (client) => (client as unknown as ServiceDatabaseClient).startClean?.());
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

export function schemaOf(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('the DataSource has no schema');
  return quoteIdent(schema);
}

/** Outbox, inbox and dead-letter bookkeeping every service shares, in the service's own schema. */
export class MessagingTables1764000000000 implements MigrationInterface {
  name = 'MessagingTables1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}.outbox (
        id bigserial PRIMARY KEY,
        message_id uuid NOT NULL UNIQUE,
        topic text NOT NULL,
        message_key text NOT NULL,
        message_type text NOT NULL,
        value jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    // The relay looks for unpublished rows, not above a high-water id: a row that commits late is still found.
    await q.query(`CREATE INDEX outbox_unpublished ON ${s}.outbox (id) WHERE published_at IS NULL`);
    await q.query(`
      CREATE TABLE ${s}.inbox (
        consumer text NOT NULL,
        message_id uuid NOT NULL,
        message_type text NOT NULL,
        outcome text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE ${s}.inbox`);
    await q.query(`DROP TABLE ${s}.outbox`);
  }
}

/**
 * The inbox remembers a digest of each message's content, so the same id with other content is told apart from
 * a redelivery; and indexes on the times retention deletes by.
 */
export class MessagingRetention1764300000000 implements MigrationInterface {
  name = 'MessagingRetention1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE ${s}.inbox ADD COLUMN IF NOT EXISTS content_digest text`);
    await q.query(`CREATE INDEX IF NOT EXISTS inbox_processed_at ON ${s}.inbox (processed_at)`);
    await q.query(`CREATE INDEX IF NOT EXISTS outbox_published_at ON ${s}.outbox (published_at) WHERE published_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP INDEX IF EXISTS ${s}.outbox_published_at`);
    await q.query(`DROP INDEX IF EXISTS ${s}.inbox_processed_at`);
    await q.query(`ALTER TABLE ${s}.inbox DROP COLUMN IF EXISTS content_digest`);
  }
}

/** SQLSTATE of inbox_claimed_all's refusal: a message claimed together with others had been seen before. */
export const CLAIMED_BEFORE_SQLSTATE = 'PS409';

/**
 * inbox_claimed_all(claimed, expected) fails the statement (and so the transaction) unless every message was claimed
 * now: the statement that claims a transaction's messages can then go out with COMMIT right behind it.
 */
export class MessagingClaimGuard1796515200000 implements MigrationInterface {
  name = 'MessagingClaimGuard1796515200000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE FUNCTION ${s}.inbox_claimed_all(claimed bigint, expected bigint) RETURNS bigint LANGUAGE plpgsql AS $$
      BEGIN
        IF claimed <> expected THEN
          RAISE EXCEPTION 'only % of % messages claimed: the others were seen before', claimed, expected USING ERRCODE = '${CLAIMED_BEFORE_SQLSTATE}';
        END IF;
        RETURN claimed;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ${schemaOf(q)}.inbox_claimed_all(bigint, bigint)`);
  }
}

/** Statistics target of the queue tables' columns: ANALYZE samples 300 rows per unit of the largest target. */
export const QUEUE_STATISTICS_TARGET = 10;

const QUEUE_COLUMNS = {
  outbox: ['id', 'message_id', 'topic', 'message_key', 'message_type', 'value', 'created_at', 'published_at'],
  inbox: ['consumer', 'message_id', 'message_type', 'outcome', 'processed_at', 'content_digest'],
};
/** Message bodies and digests are never filtered on: no statistics at all. */
const UNSAMPLED_COLUMNS = new Set(['value', 'content_digest']);

/**
 * The outbox and the inbox are queues, analyzed every few seconds under load (every relay batch leaves dead rows).
 * Their plans need only rough figures (how many rows are unpublished, how old), so ANALYZE samples 3 000 rows instead
 * of 30 000 and skips the message bodies: a tenth of its cost on a 34 000-row outbox (docs/benchmarks.md, session 18).
 */
export class MessagingQueueStatistics1796601600000 implements MigrationInterface {
  name = 'MessagingQueueStatistics1796601600000';

  async up(q: QueryRunner): Promise<void> {
    await setQueueStatistics(q, (column) => (UNSAMPLED_COLUMNS.has(column) ? 0 : QUEUE_STATISTICS_TARGET));
  }

  async down(q: QueryRunner): Promise<void> {
    await setQueueStatistics(q, () => -1);
  }
}

async function setQueueStatistics(q: QueryRunner, targetOf: (column: string) => number): Promise<void> {
  const s = schemaOf(q);
  for (const [table, columns] of Object.entries(QUEUE_COLUMNS)) {
    const alters = columns.map((column) => `ALTER COLUMN ${column} SET STATISTICS ${targetOf(column)}`);
    await q.query(`ALTER TABLE ${s}.${table} ${alters.join(', ')}`);
  }
}
