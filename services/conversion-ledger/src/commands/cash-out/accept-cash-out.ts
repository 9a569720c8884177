import { randomUUID } from 'node:crypto';
import { CashOutView, ErrorCodes, messageDefinition, PointsweepError, programDefinition, RedeemPoints } from '@pointsweep/contracts';
import { MessageContext } from '@pointsweep/messaging';
import { cashOutViewOf, loadCashOutView } from '../../cash-out.repository';
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
  if (!account || account.person_id !== personId) throw notOwnAccount();
}

function notOwnAccount(): PointsweepError {
  return new PointsweepError(ErrorCodes.accountNotOwn, 'payouts go only to the person\'s own verified account');
}

/**
 * Accepts a sweep: the same request id with the same content returns the first result, with other content it is
 * refused; each part is converted at its exact rate and sent to its card company. The acceptance time recorded
 * here is what every later cut-off is judged by.
 */
export async function acceptCashOut(ctx: MessageContext, intent: CashOutIntent): Promise<CashOutView> {
  // The earlier request under this id and the account's owner in one round trip.
  const [{ previous, account_owner: accountOwner }]: { previous: { id: string; request_hash: string } | null; account_owner: string | null }[] = await ctx.tx.query(
    `SELECT (SELECT row_to_json(c) FROM (SELECT id, request_hash FROM cash_outs WHERE person_id = $1 AND request_id = $2) c) AS previous,
            (SELECT person_id FROM payout_accounts WHERE account_id = $3) AS account_owner`,
    [intent.personId, intent.requestId, intent.accountId],
  );
  if (previous) {
    if (previous.request_hash !== intent.fingerprint) {
      throw new PointsweepError(ErrorCodes.requestIdReused, `request id ${intent.requestId} was already used for a different cash-out`);
    }
    return withoutPerson((await loadCashOutView(ctx.tx, previous.id))!);
  }
  if (accountOwner !== intent.personId) throw notOwnAccount();
  const parts = convertParts(intent.parts).map((part) => ({ ...part, id: randomUUID() }));
  const cashOutId = randomUUID();
  const day = cashOutDay(ctx.acceptedAt);
  // The cash-out and all its parts in one statement; a part whose program was already cashed out today is not
  // inserted, and then nothing is (the transaction rolls back on the refusal below).
  const inserted: { id: string; program: string }[] = await ctx.tx.query(
    `WITH cash_out AS (
       INSERT INTO cash_outs (id, person_id, request_id, request_hash, account_id, accepted_at, correlation_id, quote_id, notify_topic)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $15)
     ), parts AS (
       INSERT INTO cash_out_parts (id, cash_out_id, person_id, program, kst_day, points_requested, points_consumed, won, state, updated_at)
       SELECT p.id, $1, $2, p.program, $9, p.points_requested, p.points_consumed, p.won, 'REDEEMING', $6
         FROM unnest($10::uuid[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[]) AS p(id, program, points_requested, points_consumed, won)
       ON CONFLICT (person_id, program, kst_day) WHERE counts_for_daily_limit DO NOTHING RETURNING id, program
     )
     SELECT id, program FROM parts ORDER BY program`,
    [
      cashOutId, intent.personId, intent.requestId, intent.fingerprint, intent.accountId, ctx.acceptedAt, ctx.envelope.correlationId, intent.quoteId ?? null, day,
      parts.map((p) => p.id), parts.map((p) => p.program), parts.map((p) => p.points), parts.map((p) => p.pointsConsumed), parts.map((p) => p.won),
      // The transport took replyTo only if it is a reply topic ({prefix}.replies.<client id>).
      ctx.envelope.replyTo ?? null,
    ],
  );
  const taken = parts.find((part) => !inserted.some((i) => i.id === part.id));
  if (taken) throw new PointsweepError(ErrorCodes.dailyLimit, `${taken.program} was already cashed out today (${day} KST); one cash-out per program per day`);
  for (const part of parts) {
    ctx.emit(messageDefinition(RedeemPoints.name)!, redeemFor(part.id, intent.personId, part.program, part.pointsConsumed), intent.personId);
  }
  const byId = new Map<string, (typeof parts)[number]>(parts.map((p) => [p.id, p]));
  return withoutPerson(cashOutViewOf(
    { id: cashOutId, person_id: intent.personId, request_id: intent.requestId, accepted_at: ctx.acceptedAt },
    inserted.map(({ id }) => {
      const p = byId.get(id)!;
      return {
        id, program: p.program, points_requested: String(p.points), points_consumed: String(p.pointsConsumed), won: String(p.won), state: 'REDEEMING',
        failure_code: null, bank_transaction_id: null, payout_from: null,
      };
    }),
  ));
}

/** The same redemption every time for a part: its id is the idempotency key at the card company. */
export function redeemFor(partId: string, personId: string, program: string, points: number): RedeemPoints {
  return { partId, personId, program, points, idempotencyKey: partId };
}

export function withoutPerson<T extends { personId: string }>(view: T): Omit<T, 'personId'> {
  const { personId: _personId, ...rest } = view;
  return rest;
}
