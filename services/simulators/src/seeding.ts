import { createHmac } from 'node:crypto';
import { addDays } from './clock';

/** A parcel of points: expiresOn null = does not expire. All amounts are whole points. */
export interface Lot {
  name?: string;
  expiresOn: string | null;
  points: number;
}

export const MIN_SEEDED_BALANCE = 1_000;
export const MAX_SEEDED_BALANCE = 40_000;
export const HANA_PROGRAM = 'HANA_MONEY';
export const HANA_SUB_BALANCES = ['적립 하나머니', '이벤트 하나머니', '제휴 하나머니'] as const;

/** Deterministic integers drawn from HMAC-SHA256(seed, `${ci}|${program}|${purpose}|${block}`). */
export class SeededInts {
  private block = 0;
  private buf = Buffer.alloc(0);
  private pos = 0;

  constructor(
    private readonly seed: string,
    private readonly label: string,
  ) {}

  /** Uniform-enough integer in [min, max] (inclusive), integers only. */
  int(min: number, max: number): number {
    if (this.pos + 4 > this.buf.length) {
      this.buf = createHmac('sha256', this.seed).update(`${this.label}|${this.block++}`).digest();
      this.pos = 0;
    }
    const n = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return min + (n % (max - min + 1));
  }
}

/** The seeded balance of one member's program: an integer in [1,000, 40,000]. */
export function seededBalance(seed: string, ci: string, program: string): number {
  return new SeededInts(seed, `${ci}|${program}|balance`).int(MIN_SEEDED_BALANCE, MAX_SEEDED_BALANCE);
}

/**
 * Splits a balance into lots, deterministically from (seed, ci, program); expiry dates count from `today`.
 * HANA_MONEY: exactly three sub-balances, each with an expiry date, summing to the balance.
 * Others: 1–3 dated lots summing to at most the balance, plus a non-expiring remainder.
 * Lots come sorted soonest-expiring first, non-expiring last.
 */
export function seededLots(seed: string, ci: string, program: string, balance: number, today: string): Lot[] {
  const rng = new SeededInts(seed, `${ci}|${program}|lots`);
  if (program === HANA_PROGRAM) {
    const offsets = increasingOffsets(rng, 3);
    const parts = split(balance, [rng.int(1, 100), rng.int(1, 100), rng.int(1, 100)]);
    return HANA_SUB_BALANCES.map((name, i) => ({ name, expiresOn: addDays(today, offsets[i]), points: parts[i] }));
  }
  const count = rng.int(1, 3);
  const percent = rng.int(10, 60);
  const expiringTotal = Math.floor((balance * percent) / 100);
  const offsets = increasingOffsets(rng, count);
  const weights = offsets.map(() => rng.int(1, 100));
  const parts = split(expiringTotal, weights);
  const lots: Lot[] = offsets.map((o, i) => ({ expiresOn: addDays(today, o), points: parts[i] }));
  lots.push({ expiresOn: null, points: balance - expiringTotal });
  return lots;
}

function increasingOffsets(rng: SeededInts, count: number): number[] {
  const out: number[] = [];
  let day = 0;
  for (let i = 0; i < count; i++) {
    day += rng.int(i === 0 ? 3 : 7, 120);
    out.push(day);
  }
  return out;
}

/** Integer split of total by weights; the last part takes the remainder, so parts sum to total exactly. */
function split(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.floor((total * w) / sum));
  parts[parts.length - 1] += total - parts.reduce((a, b) => a + b, 0);
  return parts;
}

/**
 * Spends points from the lots that expire soonest (non-expiring last).
 * Returns the lots left (same order, same length) and what was taken from each.
 * Throws if the lots hold fewer points than asked.
 */
export function spendSoonestFirst(lots: readonly Lot[], points: number): { left: Lot[]; consumed: Lot[] } {
  if (!Number.isSafeInteger(points) || points < 0) throw new RangeError('points must be a non-negative integer');
  const order = lots.map((_, i) => i).sort((a, b) => compareExpiry(lots[a].expiresOn, lots[b].expiresOn) || a - b);
  const left = lots.map((l) => ({ ...l }));
  const consumed: Lot[] = [];
  let rest = points;
  for (const i of order) {
    if (rest === 0) break;
    const take = Math.min(rest, left[i].points);
    if (take === 0) continue;
    left[i].points -= take;
    rest -= take;
    consumed.push({ ...(lots[i].name ? { name: lots[i].name } : {}), expiresOn: lots[i].expiresOn, points: take });
  }
  if (rest > 0) throw new RangeError('not enough points');
  return { left, consumed };
}

function compareExpiry(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export function sumPoints(lots: readonly Lot[]): number {
  return lots.reduce((a, l) => a + l.points, 0);
}

/**
 * What a member who never redeemed holds in a program under this seed, as GET /issuers/:issuer/members/:ci/points
 * shows it (expiry dates count from `today`, 'YYYY-MM-DD' in Asia/Seoul).
 */
export function seededPoints(seed: string, ci: string, program: string, today: string) {
  const balance = seededBalance(seed, ci, program);
  const lots = seededLots(seed, ci, program, balance, today);
  return {
    program,
    balance,
    expiring: lots.filter((l) => l.expiresOn !== null && l.points > 0).map((l) => ({ date: l.expiresOn as string, points: l.points })),
    ...(program === HANA_PROGRAM ? { subBalances: lots.map((l) => ({ name: l.name as string, points: l.points, expiresOn: l.expiresOn as string })) } : {}),
  };
}
