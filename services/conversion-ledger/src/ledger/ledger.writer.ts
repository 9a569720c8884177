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
  // Sorted so two journals touching the same accounts lock them in the same order (no deadlock).
  const deltas = new Map<string, { account: string; unit: string; amount: number }>();
  for (const line of journal.lines) {
    const key = `${line.account}\u0000${line.unit}`;
    const d = deltas.get(key) ?? { account: line.account, unit: line.unit, amount: 0 };
    d.amount += line.amount;
    deltas.set(key, d);
  }
  const balances = [...deltas.values()].filter((x) => x.amount !== 0).sort((a, b) => (a.account + a.unit).localeCompare(b.account + b.unit));
  // One statement for the journal, its entries, the chain head and the projection: every round trip to the
  // database costs a system call pair on each side, and this path runs for every posting.
  await tx.query(
    `WITH journal AS (
       INSERT INTO ledger_journals (id, shard, seq, kind, part_id, occurred_at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ), entries AS (
       INSERT INTO ledger_entries (journal_id, line_no, account, unit, amount)
       SELECT $1, e.line_no, e.account, e.unit, e.amount FROM unnest($9::int[], $10::text[], $11::text[], $12::bigint[]) AS e(line_no, account, unit, amount)
     ), head AS (
       UPDATE ledger_shard_heads SET seq = $3, hash = $8 WHERE shard = $2
     )
     INSERT INTO account_balances (account, unit, balance)
     SELECT b.account, b.unit, b.amount FROM unnest($13::text[], $14::text[], $15::bigint[]) WITH ORDINALITY AS b(account, unit, amount, n) ORDER BY b.n
     ON CONFLICT (account, unit) DO UPDATE SET balance = account_balances.balance + EXCLUDED.balance`,
    [
      id, shard, seq, journal.kind, journal.partId, occurredAt, head.hash, hash,
      journal.lines.map((_, i) => i), journal.lines.map((l) => l.account), journal.lines.map((l) => l.unit), journal.lines.map((l) => l.amount),
      balances.map((b) => b.account), balances.map((b) => b.unit), balances.map((b) => b.amount),
    ],
  );
  return id;
}
