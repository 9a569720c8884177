import { PointsweepError, ProgramDefinition } from '@pointsweep/contracts';
import { ExpiringPoints, FetchedProgram, RedemptionReceipt, RefundReceipt } from './issuer-connector';

/** A card company answered 200 with something we cannot read: we cannot trust it, and it counts as a failure. */
export function badResponse(issuer: string, why: string): PointsweepError {
  return new PointsweepError('ISSUER_BAD_RESPONSE', `${issuer} answered with an unreadable body: ${why}`, true);
}

/** Non-2xx answers: 5xx/408/429 mean the company is unwell (retriable); other 4xx are its final word. */
export function issuerFailure(issuer: string, what: string, status: number, body: unknown): PointsweepError {
  const code = typeof (body as { code?: unknown })?.code === 'string' ? (body as { code: string }).code : undefined;
  const message = typeof (body as { message?: unknown })?.message === 'string' ? (body as { message: string }).message : '';
  const retriable = status >= 500 || status === 408 || status === 429;
  // A bare 5xx (no code: a proxy, a crash) is never read as the API's "down, nothing done" (ISSUER_DOWN).
  const fallback = retriable ? 'ISSUER_ERROR' : `ISSUER_REJECTED_${status}`;
  return new PointsweepError((code ?? fallback).slice(0, 64), `${issuer} ${what}: ${status} ${message}`.trim(), retriable);
}

export function isPoints(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseExpiring(issuer: string, raw: unknown): ExpiringPoints[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw badResponse(issuer, 'expiring is not a list');
  return raw.map((e) => {
    if (typeof e?.date !== 'string' || !DATE.test(e.date) || !isPoints(e.points)) throw badResponse(issuer, 'expiring entry is malformed');
    return { date: e.date, points: e.points };
  });
}

/** Hana reports three sub-balances; the program's balance is their sum. */
export function sumSubBalances(issuer: string, raw: unknown): number {
  if (!Array.isArray(raw) || raw.length === 0) throw badResponse(issuer, 'subBalances missing');
  let total = 0;
  for (const sub of raw) {
    if (!isPoints(sub?.points)) throw badResponse(issuer, 'sub-balance is malformed');
    total += sub.points;
  }
  if (!Number.isSafeInteger(total)) throw badResponse(issuer, 'sub-balances overflow');
  return total;
}

/** Picks this issuer's programs out of the answer; a program the answer leaves out is simply not fetched. */
export function parsePointsBody(
  issuer: string,
  programs: readonly ProgramDefinition[],
  body: unknown,
  balanceOf: (entry: Record<string, unknown>) => number,
): { asOf: string; programs: FetchedProgram[] } {
  const b = body as { asOf?: unknown; programs?: unknown };
  if (typeof b?.asOf !== 'string' || Number.isNaN(Date.parse(b.asOf))) throw badResponse(issuer, 'asOf missing');
  if (!Array.isArray(b.programs)) throw badResponse(issuer, 'programs is not a list');
  const entries = b.programs as Record<string, unknown>[];
  const fetched: FetchedProgram[] = [];
  for (const def of programs) {
    const entry = entries.find((e) => e?.program === def.program);
    if (!entry) continue;
    fetched.push({ program: def.program, balance: balanceOf(entry), expiring: parseExpiring(issuer, entry.expiring) });
  }
  return { asOf: new Date(b.asOf).toISOString(), programs: fetched };
}

export function plainBalance(issuer: string, entry: Record<string, unknown>): number {
  if (!isPoints(entry.balance)) throw badResponse(issuer, `balance of ${String(entry.program)} is not a whole number of points`);
  return entry.balance;
}

export function parseReceipt(issuer: string, body: unknown): RedemptionReceipt {
  const b = body as { transactionId?: unknown; program?: unknown; points?: unknown };
  if (typeof b?.transactionId !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(b.transactionId)) throw badResponse(issuer, 'transactionId missing');
  if (typeof b.program !== 'string' || !isPoints(b.points)) throw badResponse(issuer, 'redemption result is malformed');
  return { transactionId: b.transactionId, program: b.program, points: b.points };
}

const TRANSACTION_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A refund answer: the refund id is required; the echoed fields, when the card company sends them, must be well formed. */
export function parseRefundReceipt(issuer: string, body: unknown): RefundReceipt {
  const b = body as { refundId?: unknown; balanceAfter?: unknown; program?: unknown; points?: unknown; redemptionTransactionId?: unknown };
  if (typeof b?.refundId !== 'string' || !TRANSACTION_ID.test(b.refundId)) throw badResponse(issuer, 'refundId missing');
  const receipt: RefundReceipt = { refundId: b.refundId };
  if (b.balanceAfter !== undefined) {
    if (!isPoints(b.balanceAfter)) throw badResponse(issuer, 'balanceAfter is not a whole number of points');
    receipt.balanceAfter = b.balanceAfter;
  }
  if (b.program !== undefined) {
    if (typeof b.program !== 'string') throw badResponse(issuer, 'refund program is malformed');
    receipt.program = b.program;
  }
  if (b.points !== undefined) {
    if (!isPoints(b.points)) throw badResponse(issuer, 'refund points are malformed');
    receipt.points = b.points;
  }
  if (b.redemptionTransactionId !== undefined) {
    if (typeof b.redemptionTransactionId !== 'string') throw badResponse(issuer, 'refund redemptionTransactionId is malformed');
    receipt.redemptionTransactionId = b.redemptionTransactionId;
  }
  return receipt;
}
