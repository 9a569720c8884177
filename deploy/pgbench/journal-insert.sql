-- pgbench script: PostgreSQL's own insert-only rate for rows shaped like one ledger redemption journal —
-- 1 ledger_journals row + 6 ledger_entries rows (points against points, won against won) — per transaction.
-- Insert only: no shard-head lock, no balance projection; that is the point of the comparison.
-- Tables: deploy/pgbench/journal-tables.sql. Run (tools/bench/src/ledger-append-bench.ts does it):
--   pgbench -n -f deploy/pgbench/journal-insert.sql -c N -j N -T secs <scratch database>
\set shard random(0, 7)
\set points random(1000, 21800)
WITH j AS (
  INSERT INTO pgbench_ledger_journals (id, shard, seq, kind, part_id, occurred_at, prev_hash, hash)
  VALUES (gen_random_uuid(), :shard, nextval('pgbench_ledger_seq'), 'REDEMPTION', gen_random_uuid(), now(),
          encode(sha256(random()::text::bytea), 'hex'), encode(sha256(random()::text::bytea), 'hex'))
  RETURNING id
)
INSERT INTO pgbench_ledger_entries (journal_id, line_no, account, unit, amount)
SELECT j.id, l.line_no, l.account, l.unit, l.amount
  FROM j, (VALUES
    (0, 'conversion:KB_POINTREE',       'POINTS:KB_POINTREE',  :points::bigint),
    (1, 'issuer-points:KB_POINTREE',    'POINTS:KB_POINTREE', -:points::bigint),
    (2, 'issuer-receivable:KB',         'KRW',                 :points::bigint),
    (3, 'conversion:KB_POINTREE',       'KRW',                -:points::bigint),
    (4, 'conversion:KB_POINTREE',       'KRW',                 :points::bigint),
    (5, 'payout-payable',               'KRW',                -:points::bigint)
  ) AS l(line_no, account, unit, amount);
