-- Scratch tables for journal-insert.sql: the same columns, keys and constraints as the ledger's
-- ledger_journals and ledger_entries (services/conversion-ledger/src/migrations/1764000003000-ledger-tables.ts),
-- without the append-only triggers (they fire only on UPDATE/DELETE/TRUNCATE, never on INSERT).
-- Created in a scratch database by tools/bench/src/ledger-append-bench.ts; never in the service's database.
DROP TABLE IF EXISTS pgbench_ledger_entries;
DROP TABLE IF EXISTS pgbench_ledger_journals;
DROP SEQUENCE IF EXISTS pgbench_ledger_seq;
CREATE SEQUENCE pgbench_ledger_seq;
CREATE TABLE pgbench_ledger_journals (
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
);
CREATE TABLE pgbench_ledger_entries (
  journal_id uuid NOT NULL REFERENCES pgbench_ledger_journals(id),
  line_no int NOT NULL,
  account text NOT NULL,
  unit text NOT NULL,
  amount bigint NOT NULL CHECK (amount <> 0),
  PRIMARY KEY (journal_id, line_no)
);
