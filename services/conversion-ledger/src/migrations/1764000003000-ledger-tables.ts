import { MigrationInterface, QueryRunner } from 'typeorm';
import { GENESIS_HASH, LEDGER_SHARDS } from '../domain/journal';

/** The ledger is append-only: the database itself refuses UPDATE, DELETE and TRUNCATE on its tables. */
export class LedgerTables1764000003000 implements MigrationInterface {
  name = 'LedgerTables1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_journals (
        id uuid PRIMARY KEY,
        shard int NOT NULL,
        seq bigint NOT NULL,
        kind text NOT NULL,
        part_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        UNIQUE (shard, seq),
        UNIQUE (part_id, kind)
      )`);
    await q.query(`
      CREATE TABLE ledger_entries (
        journal_id uuid NOT NULL REFERENCES ledger_journals(id),
        line_no int NOT NULL,
        account text NOT NULL,
        unit text NOT NULL,
        amount bigint NOT NULL CHECK (amount <> 0),
        PRIMARY KEY (journal_id, line_no)
      )`);
    await q.query(`
      CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['ledger_journals', 'ledger_entries']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);
    }
    await q.query(`CREATE TABLE ledger_shard_heads (shard int PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL)`);
    for (let shard = 0; shard < LEDGER_SHARDS; shard++) {
      await q.query(`INSERT INTO ledger_shard_heads (shard, seq, hash) VALUES ($1, 0, $2)`, [shard, GENESIS_HASH]);
    }
    // Projection of the ledger; can be rebuilt from ledger_entries at any time.
    await q.query(`CREATE TABLE account_balances (account text NOT NULL, unit text NOT NULL, balance bigint NOT NULL, PRIMARY KEY (account, unit))`);

    await q.query(`CREATE TABLE payout_accounts (account_id uuid PRIMARY KEY, person_id uuid NOT NULL)`);
    await q.query(`
      CREATE TABLE cash_outs (
        id uuid PRIMARY KEY,
        person_id uuid NOT NULL,
        request_id text NOT NULL,
        request_hash text NOT NULL,
        account_id uuid NOT NULL,
        accepted_at timestamptz NOT NULL,
        UNIQUE (person_id, request_id)
      )`);
    await q.query(`
      CREATE TABLE cash_out_parts (
        id uuid PRIMARY KEY,
        cash_out_id uuid NOT NULL REFERENCES cash_outs(id),
        person_id uuid NOT NULL,
        program text NOT NULL,
        kst_day date NOT NULL,
        points_requested bigint NOT NULL,
        points_consumed bigint NOT NULL,
        won bigint NOT NULL,
        state text NOT NULL,
        counts_for_daily_limit boolean NOT NULL DEFAULT true,
        failure_code text,
        failure_reason text,
        issuer_transaction_id text,
        bank_transaction_id text,
        updated_at timestamptz NOT NULL
      )`);
    // One cash-out per program per person per KST day; a part that never reached the card company does not count.
    await q.query(`CREATE UNIQUE INDEX one_cash_out_per_program_per_day ON cash_out_parts (person_id, program, kst_day) WHERE counts_for_daily_limit`);
    await q.query(`CREATE INDEX cash_out_parts_by_cash_out ON cash_out_parts (cash_out_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE cash_out_parts, cash_outs, payout_accounts, account_balances, ledger_shard_heads`);
    await q.query(`DROP TABLE ledger_entries, ledger_journals`);
    await q.query(`DROP FUNCTION ledger_refuse_change()`);
  }
}
