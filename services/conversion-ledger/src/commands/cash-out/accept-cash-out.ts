import { randomUUID } from 'node:crypto';
import { CashOutView, ErrorCodes, messageDefinition, PointsweepError, programDefinition, RedeemPoints } from '@pointsweep/contracts';
import { MessageContext } from '@pointsweep/messaging';
import { loadCashOutView } from '../../cash-out.repository';
import { Conversion, convertPoints } from '../../domain/conversion';
import { cashOutDay } from '../../domain/daily-limit';

export interface CashOutIntent {
  personId: string;
  requestId: string;
  /** What makes a repeated request id "the same request". */
  fingerprint: string;
  accountId: string;
  parts: { program: string; points: number }[];
  quoteId?: string;
}

export function convertParts(parts: { program: string; points: number }[]): ({ program: string; points: number } & Conversion)[] {
  if (new Set(parts.map((p) => p.program)).size !== parts.length) {
    throw new PointsweepError(ErrorCodes.invalidMessage, 'each program may appear once in a cash-out');
  }
  return parts.map((p) => ({ ...p, ...convertPoints(p.points, programDefinition(p.program)!.rate) }));
}

export async function assertOwnAccount(ctx: MessageContext, personId: string, accountId: string): Promise<void> {
  const [account]: { person_id: string }[] = await ctx.tx.query(`SELECT person_id FROM payout_accounts WHERE account_id = $1`, [accountId]);
  if (!account || account.person_id !== personId) {
    throw new PointsweepError(ErrorCodes.accountNotOwn, 'payouts go only to the person\'s own verified account');
  }
}

/**
 * Accepts a sweep: the same request id with the same content returns the first result, with other content it is
 * refused; each part is converted at its exact rate and sent to its card company. The acceptance time recorded
 * here is what every later cut-off is judged by.
 */
export async function acceptCashOut(ctx: MessageContext, intent: CashOutIntent): Promise<CashOutView> {
  const [previous]: { id: string; request_hash: string }[] = await ctx.tx.query(
    `SELECT id, request_hash FROM cash_outs WHERE person_id = $1 AND request_id = $2`,
    [intent.personId, intent.requestId],
  );
  if (previous) {
    if (previous.request_hash !== intent.fingerprint) {
      throw new PointsweepError(ErrorCodes.requestIdReused, `request id ${intent.requestId} was already used for a different cash-out`);
    }
    return withoutPerson((await loadCashOutView(ctx.tx, previous.id))!);
  }
  await assertOwnAccount(ctx, intent.personId, intent.accountId);
  const parts = convertParts(intent.parts);
  const cashOutId = randomUUID();
  const day = cashOutDay(ctx.acceptedAt);
  await ctx.tx.query(
    `INSERT INTO cash_outs (id, person_id, request_id, request_hash, account_id, accepted_at, correlation_id, quote_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [cashOutId, intent.personId, intent.requestId, intent.fingerprint, intent.accountId, ctx.acceptedAt, ctx.envelope.correlationId, intent.quoteId ?? null],
  );
  for (const part of parts) {
    const id = randomUUID();
    const inserted = await ctx.tx.query(
      `INSERT INTO cash_out_parts (id, cash_out_id, person_id, program, kst_day, points_requested, points_consumed, won, state, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'REDEEMING', $9)
       ON CONFLICT (person_id, program, kst_day) WHERE counts_for_daily_limit DO NOTHING RETURNING id`,
      [id, cashOutId, intent.personId, part.program, day, part.points, part.pointsConsumed, part.won, ctx.acceptedAt],
    );
    if (inserted.length === 0) {
      throw new PointsweepError(ErrorCodes.dailyLimit, `${part.program} was already cashed out today (${day} KST); one cash-out per program per day`);
    }
    ctx.emit(messageDefinition(RedeemPoints.name)!, redeemFor(id, intent.personId, part.program, part.pointsConsumed), intent.personId);
  }
  return withoutPerson((await loadCashOutView(ctx.tx, cashOutId))!);
}

/** The same redemption every time for a part: its id is the idempotency key at the card company. */
export function redeemFor(partId: string, personId: string, program: string, points: number): RedeemPoints {
  return { partId, personId, program, points, idempotencyKey: partId };
}

export function withoutPerson<T extends { personId: string }>(view: T): Omit<T, 'personId'> {
  const { personId: _personId, ...rest } = view;
  return rest;
}
