import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { assertBalanced, chainHash, JournalKind, JournalLine, shardOf } from '../domain/journal';

export interface NewJournal {
  kind: JournalKind;
  partId: string;
  shardKey: string;
  occurredAt: Date;
  lines: JournalLine[];
}

/**
 * Appends balanced journals, in order, to their shards' hash chains and updates the balance projection, in the
 * caller's transaction, in two statements whatever their number: the shard heads locked in shard order, then
 * one insert of journals, entries, heads and balances (balance rows in sorted order), so two writers can never
 * deadlock. A journal per (part, kind) is unique, so a replayed message can never post twice.
 */
export async function appendJournals(tx: EntityManager, journals: NewJournal[]): Promise<string[]> {
  if (journals.length === 0) return [];
  for (const j of journals) assertBalanced(j.lines);
  const shardOfJournal = journals.map((j) => shardOf(j.shardKey));
  const shards = [...new Set(shardOfJournal)].sort((a, b) => a - b);
  const locked: { shard: number; seq: string; hash: string }[] = await tx.query(
    `SELECT shard, seq, hash FROM ledger_shard_heads WHERE shard = ANY($1::int[]) ORDER BY shard FOR UPDATE`,
    [shards],
  );
  const heads = new Map(locked.map((h) => [Number(h.shard), { seq: Number(h.seq), hash: h.hash }]));
  const rows = { id: [] as string[], shard: [] as number[], seq: [] as number[], kind: [] as string[], partId: [] as string[], occurredAt: [] as string[], prevHash: [] as string[], hash: [] as string[] };
  const entries = { journalId: [] as string[], lineNo: [] as number[], account: [] as string[], unit: [] as string[], amount: [] as number[] };
  const deltas = new Map<string, { account: string; unit: string; amount: number }>();
  journals.forEach((journal, i) => {
    const shard = shardOfJournal[i];
    const head = heads.get(shard);
    if (!head) throw new Error(`ledger shard ${shard} has no head row`);
    const id = randomUUID();
    const seq = head.seq + 1;
    const occurredAt = journal.occurredAt.toISOString();
    const hash = chainHash(head.hash, { id, shard, seq, kind: journal.kind, partId: journal.partId, occurredAt, lines: journal.lines });
    rows.id.push(id); rows.shard.push(shard); rows.seq.push(seq); rows.kind.push(journal.kind); rows.partId.push(journal.partId);
    rows.occurredAt.push(occurredAt); rows.prevHash.push(head.hash); rows.hash.push(hash);
    heads.set(shard, { seq, hash });
    journal.lines.forEach((line, lineNo) => {
      entries.journalId.push(id); entries.lineNo.push(lineNo); entries.account.push(line.account); entries.unit.push(line.unit); entries.amount.push(line.amount);
      const key = `${line.account}\u0000${line.unit}`;
      const d = deltas.get(key) ?? { account: line.account, unit: line.unit, amount: 0 };
      d.amount += line.amount;
      deltas.set(key, d);
    });
  });
  // Sorted so two transactions touching the same balance rows lock them in the same order (no deadlock).
  const balances = [...deltas.values()].filter((x) => x.amount !== 0).sort((a, b) => (a.account + a.unit).localeCompare(b.account + b.unit));
  const newHeads = shards.map((shard) => ({ shard, ...heads.get(shard)! }));
  // One statement for the journals, their entries, the chain heads and the projection: every round trip to the
  // database costs a system call pair on each side, and this path runs for every posting.
  await tx.query(
    `WITH journals AS (
       INSERT INTO ledger_journals (id, shard, seq, kind, part_id, occurred_at, prev_hash, hash)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::bigint[], $4::text[], $5::uuid[], $6::timestamptz[], $7::text[], $8::text[])
     ), entries AS (
       INSERT INTO ledger_entries (journal_id, line_no, account, unit, amount)
       SELECT * FROM unnest($9::uuid[], $10::int[], $11::text[], $12::text[], $13::bigint[])
     ), heads AS (
       UPDATE ledger_shard_heads h SET seq = n.seq, hash = n.hash FROM unnest($14::int[], $15::bigint[], $16::text[]) AS n(shard, seq, hash) WHERE h.shard = n.shard
     )
     INSERT INTO account_balances (account, unit, balance)
     SELECT b.account, b.unit, b.amount FROM unnest($17::text[], $18::text[], $19::bigint[]) WITH ORDINALITY AS b(account, unit, amount, n) ORDER BY b.n
     ON CONFLICT (account, unit) DO UPDATE SET balance = account_balances.balance + EXCLUDED.balance`,
    [
      rows.id, rows.shard, rows.seq, rows.kind, rows.partId, rows.occurredAt, rows.prevHash, rows.hash,
      entries.journalId, entries.lineNo, entries.account, entries.unit, entries.amount,
      newHeads.map((h) => h.shard), newHeads.map((h) => h.seq), newHeads.map((h) => h.hash),
      balances.map((b) => b.account), balances.map((b) => b.unit), balances.map((b) => b.amount),
    ],
  );
  return rows.id;
}
