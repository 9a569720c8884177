import { createHash } from 'node:crypto';

/** One line of a journal entry: a positive amount is a debit, a negative one a credit, in one unit. */
export interface JournalLine {
  account: string;
  /** 'KRW', or 'POINTS:<program>' — each unit balances on its own. */
  unit: string;
  amount: number;
}

export type JournalKind = 'REDEMPTION' | 'PAYOUT' | 'REDEMPTION_REVERSAL';

export const KRW = 'KRW';
export const pointsUnit = (program: string) => `POINTS:${program}`;

export const Accounts = {
  issuerPoints: (program: string) => `issuer-points:${program}`,
  conversion: (program: string) => `conversion:${program}`,
  issuerReceivable: (issuer: string) => `issuer-receivable:${issuer}`,
  payoutPayable: 'payout-payable',
  bankCash: 'bank-cash',
} as const;

/**
 * Points leave the card company into the program's conversion account (points against points), and the won
 * the card company owes us becomes payable to the person (won against won).
 */
export function redemptionLines(program: string, issuer: string, points: number, won: number): JournalLine[] {
  return [
    { account: Accounts.conversion(program), unit: pointsUnit(program), amount: points },
    { account: Accounts.issuerPoints(program), unit: pointsUnit(program), amount: -points },
    { account: Accounts.issuerReceivable(issuer), unit: KRW, amount: won },
    { account: Accounts.conversion(program), unit: KRW, amount: -won },
    { account: Accounts.conversion(program), unit: KRW, amount: won },
    { account: Accounts.payoutPayable, unit: KRW, amount: -won },
  ];
}

/** The bank paid the person: what we owed them leaves our bank account. */
export function payoutLines(won: number): JournalLine[] {
  return [
    { account: Accounts.payoutPayable, unit: KRW, amount: won },
    { account: Accounts.bankCash, unit: KRW, amount: -won },
  ];
}

/** A correction is never an edit: it is the same lines with the signs turned. */
export function reversalOf(lines: JournalLine[]): JournalLine[] {
  return lines.map((l) => ({ ...l, amount: -l.amount }));
}

export function unbalancedUnits(lines: JournalLine[]): string[] {
  const sums = new Map<string, number>();
  for (const line of lines) sums.set(line.unit, (sums.get(line.unit) ?? 0) + line.amount);
  return [...sums.entries()].filter(([, sum]) => sum !== 0).map(([unit]) => unit);
}

export function assertBalanced(lines: JournalLine[]): void {
  if (lines.some((l) => !Number.isSafeInteger(l.amount) || l.amount === 0)) throw new Error('journal lines must be non-zero whole amounts');
  const off = unbalancedUnits(lines);
  if (off.length > 0) throw new Error(`journal does not balance in ${off.join(', ')}`);
}

export interface ChainedJournal {
  id: string;
  shard: number;
  seq: number;
  kind: JournalKind;
  partId: string;
  occurredAt: string;
  lines: JournalLine[];
}

/** Each journal's hash covers its content and the previous hash of its shard, so any edit breaks the chain. */
export function chainHash(previousHash: string, journal: ChainedJournal): string {
  const canonical = JSON.stringify([
    journal.id, journal.shard, journal.seq, journal.kind, journal.partId, journal.occurredAt,
    journal.lines.map((l) => [l.account, l.unit, l.amount]),
  ]);
  return createHash('sha256').update(previousHash).update(canonical).digest('hex');
}

export const LEDGER_SHARDS = 8;
export const GENESIS_HASH = '0'.repeat(64);

/** Appends for one person stay on one shard; different people append in parallel. */
export function shardOf(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % LEDGER_SHARDS;
}
