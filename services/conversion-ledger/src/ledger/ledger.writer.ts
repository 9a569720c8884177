import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { assertBalanced, chainHash, JournalKind, JournalLine, shardOf } from '../domain/journal';

/**
 * Appends one balanced journal to its shard's hash chain and updates the balance projection, in the caller's
 * transaction. A journal per (part, kind) is unique, so a replayed message can never post twice.
 */
export async function appendJournal(
  tx: EntityManager,
  journal: { kind: JournalKind; partId: string; shardKey: string; occurredAt: Date; lines: JournalLine[] },
): Promise<string> {
  assertBalanced(journal.lines);
  const shard = shardOf(journal.shardKey);
  const [head]: { seq: string; hash: string }[] = await tx.query(
    `SELECT seq, hash FROM ledger_shard_heads WHERE shard = $1 FOR UPDATE`,
    [shard],
  );
  const id = randomUUID();
  const seq = Number(head.seq) + 1;
  const occurredAt = journal.occurredAt.toISOString();
  const hash = chainHash(head.hash, { id, shard, seq, kind: journal.kind, partId: journal.partId, occurredAt, lines: journal.lines });
  await tx.query(
    `INSERT INTO ledger_journals (id, shard, seq, kind, part_id, occurred_at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [id, shard, seq, journal.kind, journal.partId, occurredAt, head.hash, hash],
  );
  const values: unknown[] = [];
  const rows = journal.lines.map((line, i) => {
    values.push(id, i, line.account, line.unit, line.amount);
    const b = i * 5;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
  });
  await tx.query(`INSERT INTO ledger_entries (journal_id, line_no, account, unit, amount) VALUES ${rows.join(', ')}`, values);
  await tx.query(`UPDATE ledger_shard_heads SET seq = $2, hash = $3 WHERE shard = $1`, [shard, seq, hash]);
  // Sorted so two journals touching the same accounts lock them in the same order (no deadlock).
  const deltas = new Map<string, { account: string; unit: string; amount: number }>();
  for (const line of journal.lines) {
    const key = `${line.account}\u0000${line.unit}`;
    const d = deltas.get(key) ?? { account: line.account, unit: line.unit, amount: 0 };
    d.amount += line.amount;
    deltas.set(key, d);
  }
  for (const d of [...deltas.values()].filter((x) => x.amount !== 0).sort((a, b) => (a.account + a.unit).localeCompare(b.account + b.unit))) {
    await tx.query(
      `INSERT INTO account_balances (account, unit, balance) VALUES ($1, $2, $3)
       ON CONFLICT (account, unit) DO UPDATE SET balance = account_balances.balance + EXCLUDED.balance`,
      [d.account, d.unit, d.amount],
    );
  }
  return id;
}
