import { Client } from 'pg';
import { chainHash, GENESIS_HASH, JournalKind } from '../domain/journal';

export interface AuditCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface AuditReport {
  ok: boolean;
  checks: AuditCheck[];
}

export interface AuditOptions {
  databaseUrl: string;
  schema?: string;
  /** Also require every cash-out part to be terminal (after a benchmark or test run has drained). */
  requireTerminal?: boolean;
}

/**
 * Checks every invariant of the ledger from its own tables, read-only: each journal balances per unit, the hash
 * chains are intact, the balance projection equals a rebuild, redeemed = paid + refunded + in flight, and no bank
 * transaction id is used twice on a day.
 */
export async function auditLedger(options: AuditOptions): Promise<AuditReport> {
  const schema = options.schema ?? 'ledger';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`unsafe schema name ${schema}`);
  const db = new Client({ connectionString: options.databaseUrl });
  await db.connect();
  try {
    await db.query(`SET search_path TO "${schema}"`);
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const checks = [
      await journalsBalance(db),
      await chainsIntact(db),
      await projectionEqualsRebuild(db),
      await moneyRule(db),
      await bankIdsUnique(db),
      await partsMatchJournals(db),
    ];
    if (options.requireTerminal) checks.push(await everyPartTerminal(db));
    await db.query('COMMIT');
    return { ok: checks.every((c) => c.ok), checks };
  } finally {
    await db.end();
  }
}

async function journalsBalance(db: Client): Promise<AuditCheck> {
  const { rows } = await db.query(
    `SELECT journal_id, unit, sum(amount)::bigint AS off FROM ledger_entries GROUP BY journal_id, unit HAVING sum(amount) <> 0 LIMIT 5`,
  );
  const { rows: [{ n }] } = await db.query(`SELECT count(*)::int AS n FROM ledger_journals`);
  return rows.length === 0
    ? { name: 'every journal balances per unit', ok: true, detail: `${n} journals` }
    : { name: 'every journal balances per unit', ok: false, detail: rows.map((r) => `journal ${r.journal_id} off by ${r.off} ${r.unit}`).join('; ') };
}

async function chainsIntact(db: Client): Promise<AuditCheck> {
  const name = 'hash chains are intact';
  const { rows: journals } = await db.query(
    `SELECT j.id, j.shard, j.seq, j.kind, j.part_id, j.occurred_at, j.prev_hash, j.hash,
            json_agg(json_build_array(e.account, e.unit, e.amount) ORDER BY e.line_no) AS lines
       FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
      GROUP BY j.id, j.shard, j.seq, j.kind, j.part_id, j.occurred_at, j.prev_hash, j.hash ORDER BY j.shard, j.seq`,
  );
  const heads = new Map<number, { seq: number; hash: string }>();
  const problems: string[] = [];
  for (const j of journals) {
    const head = heads.get(j.shard) ?? { seq: 0, hash: GENESIS_HASH };
    if (Number(j.seq) !== head.seq + 1) problems.push(`shard ${j.shard}: seq ${j.seq} follows ${head.seq}`);
    if (j.prev_hash !== head.hash) problems.push(`shard ${j.shard} seq ${j.seq}: previous hash does not match`);
    const recomputed = chainHash(j.prev_hash, {
      id: j.id, shard: j.shard, seq: Number(j.seq), kind: j.kind as JournalKind, partId: j.part_id,
      occurredAt: new Date(j.occurred_at).toISOString(),
      lines: (j.lines as [string, string, string | number][]).map(([account, unit, amount]) => ({ account, unit, amount: Number(amount) })),
    });
    if (recomputed !== j.hash) problems.push(`shard ${j.shard} seq ${j.seq}: content does not match its hash`);
    heads.set(j.shard, { seq: Number(j.seq), hash: j.hash });
  }
  const { rows: stored } = await db.query(`SELECT shard, seq, hash FROM ledger_shard_heads ORDER BY shard`);
  for (const s of stored) {
    const head = heads.get(s.shard) ?? { seq: 0, hash: GENESIS_HASH };
    if (Number(s.seq) !== head.seq || s.hash !== head.hash) problems.push(`shard ${s.shard}: head does not match the last journal`);
  }
  return { name, ok: problems.length === 0, detail: problems.length === 0 ? `${journals.length} journals in ${stored.length} shards` : problems.slice(0, 5).join('; ') };
}

async function projectionEqualsRebuild(db: Client): Promise<AuditCheck> {
  const { rows } = await db.query(
    `WITH rebuilt AS (SELECT account, unit, sum(amount)::bigint AS balance FROM ledger_entries GROUP BY account, unit HAVING sum(amount) <> 0)
     SELECT coalesce(r.account, b.account) AS account, coalesce(r.unit, b.unit) AS unit, r.balance AS rebuilt, b.balance AS projected
       FROM rebuilt r FULL OUTER JOIN (SELECT * FROM account_balances WHERE balance <> 0) b ON b.account = r.account AND b.unit = r.unit
      WHERE r.balance IS DISTINCT FROM b.balance LIMIT 5`,
  );
  return {
    name: 'balances equal a rebuild from the ledger',
    ok: rows.length === 0,
    detail: rows.length === 0 ? 'equal' : rows.map((r) => `${r.account} ${r.unit}: projected ${r.projected}, rebuilt ${r.rebuilt}`).join('; '),
  };
}

async function moneyRule(db: Client): Promise<AuditCheck> {
  const { rows: [m] } = await db.query(
    `SELECT
       coalesce(-sum(e.amount) FILTER (WHERE j.kind = 'REDEMPTION'), 0)::bigint AS redeemed,
       coalesce(sum(e.amount) FILTER (WHERE j.kind = 'PAYOUT'), 0)::bigint AS paid,
       coalesce(sum(e.amount) FILTER (WHERE j.kind = 'REDEMPTION_REVERSAL'), 0)::bigint AS refunded
     FROM ledger_entries e JOIN ledger_journals j ON j.id = e.journal_id
     WHERE e.account = 'payout-payable' AND e.unit = 'KRW'`,
  );
  const { rows: [f] } = await db.query(
    `SELECT coalesce(sum(p.won), 0)::bigint AS in_flight FROM cash_out_parts p
      WHERE EXISTS (SELECT 1 FROM ledger_journals j WHERE j.part_id = p.id AND j.kind = 'REDEMPTION')
        AND NOT EXISTS (SELECT 1 FROM ledger_journals j WHERE j.part_id = p.id AND j.kind IN ('PAYOUT', 'REDEMPTION_REVERSAL'))`,
  );
  const [redeemed, paid, refunded, inFlight] = [m.redeemed, m.paid, m.refunded, f.in_flight].map(Number);
  const ok = redeemed === paid + refunded + inFlight;
  return {
    name: 'redeemed value = paid + refunded + in flight',
    ok,
    detail: `redeemed ${redeemed} won, paid ${paid}, refunded ${refunded}, in flight ${inFlight}${ok ? '' : `, unexplained ${redeemed - paid - refunded - inFlight}`}`,
  };
}

async function bankIdsUnique(db: Client): Promise<AuditCheck> {
  const { rows } = await db.query(
    `SELECT transfer_date, bank_transaction_id, count(*)::int AS n FROM cash_out_parts
      WHERE bank_transaction_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 5`,
  );
  return {
    name: 'no bank transaction id used twice on a day',
    ok: rows.length === 0,
    detail: rows.length === 0 ? 'unique' : rows.map((r) => `${r.transfer_date}/${r.bank_transaction_id} used ${r.n} times`).join('; '),
  };
}

async function partsMatchJournals(db: Client): Promise<AuditCheck> {
  const { rows } = await db.query(
    `SELECT p.id, p.state, array_remove(array_agg(j.kind ORDER BY j.kind), NULL) AS kinds
       FROM cash_out_parts p LEFT JOIN ledger_journals j ON j.part_id = p.id
      GROUP BY p.id, p.state`,
  );
  const expected: Record<string, string[][]> = {
    REDEEMING: [[]],
    PAYING: [['REDEMPTION']],
    SCHEDULED: [['REDEMPTION']],
    REFUNDING: [['REDEMPTION']],
    PAID: [['PAYOUT', 'REDEMPTION']],
    FAILED: [[], ['REDEMPTION', 'REDEMPTION_REVERSAL']],
    MANUAL_REVIEW: [[], ['REDEMPTION']],
  };
  const wrong = rows.filter((r) => !(expected[r.state] ?? []).some((k) => JSON.stringify(k) === JSON.stringify(r.kinds)));
  return {
    name: 'every part\'s state agrees with its journals',
    ok: wrong.length === 0,
    detail: wrong.length === 0 ? `${rows.length} parts` : wrong.slice(0, 5).map((r) => `part ${r.id} ${r.state} has ${r.kinds.join('+') || 'no journals'}`).join('; '),
  };
}

async function everyPartTerminal(db: Client): Promise<AuditCheck> {
  const { rows } = await db.query(`SELECT state, count(*)::int AS n FROM cash_out_parts WHERE state NOT IN ('PAID', 'FAILED', 'MANUAL_REVIEW') GROUP BY state`);
  return {
    name: 'every part reached a terminal state',
    ok: rows.length === 0,
    detail: rows.length === 0 ? 'all terminal' : rows.map((r) => `${r.n} ${r.state}`).join(', '),
  };
}
